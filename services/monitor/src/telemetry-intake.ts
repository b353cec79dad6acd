import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  createDeadLetter,
  KnowledgeKeys,
  type PatinoxError,
  type Result,
  type TelemetryEvent,
  toPatinoxError,
} from "@patinox/contracts";
import { type Logger, pause } from "@patinox/runtime";
import type { DeadLetterSink } from "@patinox/streams";
import { foldableSequences, type HeldDelivery } from "./fold-gate.ts";
import type { ShardLease } from "./intake-lease.ts";
import type { IntakeMetrics } from "./intake-metrics.ts";
import { createTelemetryParser, type TelemetryParser } from "./telemetry-parser.ts";
import { type WindowAddress, windowOf } from "./window-fold.ts";
import type { WindowPurger } from "./window-purger.ts";
import { groupByWindow, type WindowStore } from "./window-store.ts";

/** Settings of the intake loop (from Monitor's configuration). */
export interface IntakeSettings {
  readonly service: string;
  readonly stream: string;
  readonly durable: string;
  /** The high-water key in each window: the stream and its creation time (see docs/monitor.md). */
  readonly source: string;
  readonly batch: number;
  readonly windowMs: number;
  readonly retentionMs: number;
  readonly leaseTtlMs: number;
  readonly purgeIntervalMs: number;
}

/** What the intake uses. */
export interface IntakeParts {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly windows: WindowStore;
  readonly deadLetters: DeadLetterSink;
  readonly lease: ShardLease;
  readonly purger: WindowPurger;
  readonly metrics: IntakeMetrics;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/** How long a partly filled batch waits for more events before it is folded. */
const LINGER_MS = 25;

/** A message as it arrived, parsed. */
interface Arrived {
  readonly msg: JsMsg;
  readonly parsed: Result<TelemetryEvent>;
}

/** A delivered message and its parsed event. */
interface Held extends HeldDelivery {
  readonly msg: JsMsg;
  readonly event: TelemetryEvent;
  /** Its window; `undefined` for events no window counts. */
  readonly address: WindowAddress | undefined;
}

/**
 * Monitor's telemetry intake: one instance at a time (the holder of the lease
 * `leases.monitor.0`) pulls batches from the durable consumer and folds them into windows;
 * the others stand by and take over when the lease lapses. Exactly once:
 *
 * 1. Events are folded only when this instance holds *every* message the consumer had handed
 *    out and not yet seen acked at a consumer-info snapshot ({@link foldableSequences}), so no
 *    older message can still be out elsewhere (a dead instance's batch is waited for until the
 *    server redelivers it).
 * 2. The events of a window are then folded together, in one compare-and-set write that also
 *    raises the window's high-water mark (the highest stream sequence counted).
 * 3. Messages are acked only after every window of the batch is written. A redelivered event
 *    is at or below its window's mark and is skipped.
 *
 * See docs/monitor.md for why this never loses nor doubles an event.
 */
export class TelemetryIntake {
  readonly #s: IntakeSettings;
  readonly #p: IntakeParts;
  readonly #now: () => number;
  readonly #parse: TelemetryParser = createTelemetryParser();
  #role: "starting" | "leader" | "standby" = "starting";
  #lastPurge = 0;
  /** During a leadership term: every message at or below this stream sequence is settled. */
  #settledThrough = 0;

  constructor(settings: IntakeSettings, parts: IntakeParts) {
    this.#s = settings;
    this.#p = parts;
    this.#now = parts.now ?? Date.now;
  }

  /** Whether this instance is folding (`leader`) or waiting for the lease (`standby`). */
  get role(): "starting" | "leader" | "standby" {
    return this.#role;
  }

  /** Runs until `signal` aborts; throws on failures the supervisor should restart it for. */
  async run(signal: AbortSignal): Promise<void> {
    const { lease, logger } = this.#p;
    try {
      while (!signal.aborted) {
        if (await lease.acquire()) {
          if (this.#role !== "leader")
            logger.info({ epoch: lease.epoch }, "telemetry intake leading");
          this.#role = "leader";
          await this.#lead(signal);
          if (!signal.aborted) {
            logger.warn("telemetry intake lease lost; standing by");
            this.#role = "standby";
          }
        } else {
          if (this.#role !== "standby") logger.info("telemetry intake standing by");
          this.#role = "standby";
          await this.#refreshConsumerInfo();
          await pause(this.#s.leaseTtlMs / 3, signal);
        }
      }
    } finally {
      if (this.#role === "leader") {
        // Let a standby take over now rather than after the TTL.
        await lease.release().catch((error: unknown) => {
          logger.warn({ err: error }, "could not release the intake lease");
        });
      }
      this.#role = "starting";
    }
  }

  async #lead(outer: AbortSignal): Promise<void> {
    const { js, nc, lease, logger } = this.#p;
    const consumer = await js.consumers.get(this.#s.stream, this.#s.durable);
    const start = await consumer.info();
    // Every message at or below this is acked or terminated: a copy of one still arriving is
    // stale (redelivered before the server took the ack) and is neither held nor counted.
    this.#settledThrough = start.ack_floor.stream_seq;
    const held = new Map<number, Held>();
    const lost = new AbortController();
    const signal = AbortSignal.any([outer, lost.signal]);
    // Renewed in the background: waiting for messages may take longer than a short TTL's margin.
    const renewal = (async () => {
      while (!signal.aborted) {
        await pause(this.#s.leaseTtlMs / 3, signal);
        if (signal.aborted) return;
        try {
          if (!(await lease.acquire())) lost.abort();
        } catch (error) {
          // Not renewed: no write starts without `held()`; once it has lapsed this term ends
          // (and hands its messages back), so a deposed leader does not keep pulling.
          logger.warn({ err: error }, "could not renew the intake lease");
          if (!lease.held()) lost.abort();
        }
      }
    })();
    // Messages stream in (a batch ahead) while the previous batch is folded. The callback runs
    // as each message is parsed off the connection, so by the time a consumer-info reply that
    // counts a message arrives, that message is in `inbox` (one connection keeps order).
    // Each message is parsed as it arrives: that work then fills the time this loop spends
    // waiting for window writes, instead of adding to the next batch's.
    const inbox: Arrived[] = [];
    let wake: (() => void) | undefined;
    const messages = await consumer.consume({
      max_messages: this.#s.batch,
      expires: 5_000,
      callback: (msg) => {
        inbox.push({ msg, parsed: this.#parse(msg.data) });
        wake?.();
      },
    });
    let consuming = true;
    void messages.closed().then((error) => {
      consuming = false;
      if (!signal.aborted) logger.warn({ err: error }, "telemetry consumer closed");
      lost.abort();
    });
    const nextMessages = (ms: number) =>
      inbox.length > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(done, ms);
            function done() {
              clearTimeout(timer);
              wake = undefined;
              signal.removeEventListener("abort", done);
              resolve();
            }
            wake = done;
            signal.addEventListener("abort", done, { once: true });
          });
    try {
      while (!signal.aborted) {
        // Held messages left from the last round (delivered after its snapshot) go next round.
        await nextMessages(held.size > 0 ? LINGER_MS : 1_000);
        // A backlog fills a whole batch within the linger; a trickle waits at most that long.
        // Whole batches share each window's write among many events.
        const lingerUntil = performance.now() + LINGER_MS;
        while (inbox.length > 0 && inbox.length < this.#s.batch && !signal.aborted) {
          const left = lingerUntil - performance.now();
          if (left <= 0) break;
          const before = inbox.length;
          await nextMessages(0).then(() => pause(Math.min(5, left), signal));
          if (inbox.length === before) break; // nothing more is coming right now
        }
        const stale: Held[] = [];
        await this.#take(inbox.splice(0), held, stale);
        if (held.size > 0 && !signal.aborted) {
          const info = await consumer.info();
          // What arrived before the reply is read too: an older message redelivered to this
          // instance while it asked must be folded in this batch, not after it.
          await this.#take(inbox.splice(0), held, stale);
          this.#p.metrics.observeConsumer(info.num_pending, info.num_ack_pending);
          // Another instance's (or an earlier incarnation's) messages may still be out:
          // folding ours now could put a newer event into a window before an older one.
          // Theirs come back after the ack wait.
          this.#settle(info.ack_floor.stream_seq, held);
          const ready = foldableSequences(
            held.values(),
            {
              numAckPending: info.num_ack_pending,
              deliveredConsumerSeq: info.delivered.consumer_seq,
            },
            this.#settledThrough,
          );
          if (ready !== undefined && ready.length > info.num_ack_pending) {
            // More held than the server has outstanding: someone else settled some of them (a
            // deposed leader's late acks). The premise of the gate is broken for these, so
            // hand everything back and start over rather than fold on a wrong count.
            logger.warn(
              { held: ready.length, outstanding: info.num_ack_pending },
              "held messages settled elsewhere; handing them back",
            );
            for (const { msg } of held.values()) msg.nak();
            held.clear();
            await nc.flush();
            continue;
          }
          if (ready === undefined) {
            if (stale.length > 0) await this.#foldCopies(stale);
            continue;
          }
          // A fifth of the TTL in hand: no write starts unless it can finish under the lease.
          if (!lease.held(this.#s.leaseTtlMs / 5)) {
            for (const { msg } of stale) msg.nak();
            await pause(50, signal);
            continue;
          }
          const batch = ready.map((seq) => held.get(seq) as Held);
          for (const seq of ready) held.delete(seq);
          await this.#fold([...stale, ...batch]);
          // The gate let the batch through only if every older message was settled: now the
          // whole batch is too.
          this.#settle(Math.max(...ready), held);
        } else if (stale.length > 0) {
          await this.#foldCopies(stale);
        }
        if (this.#now() - this.#lastPurge >= this.#s.purgeIntervalMs && lease.held()) {
          this.#lastPurge = this.#now();
          if ((await this.#p.purger.purge()) > 0) this.#p.windows.forget();
        }
      }
      if (!consuming && !outer.aborted) throw new Error("the telemetry consumer closed");
    } finally {
      // Another instance may write the windows before this one leads again.
      this.#p.windows.forget();
      lost.abort();
      await messages.close().catch(() => undefined);
      await renewal;
      // Not folded: hand them back at once so the next leader need not wait for the ack wait.
      for (const { msg } of held.values()) msg.nak();
      for (const { msg } of inbox.splice(0)) msg.nak();
    }
  }

  /**
   * Folds copies of settled messages (a no-op for every event the window's mark already
   * counts) and acks them, under the lease, or hands them back without it.
   */
  async #foldCopies(copies: Held[]): Promise<void> {
    if (this.#p.lease.held(this.#s.leaseTtlMs / 5)) await this.#fold(copies);
    else for (const { msg } of copies) msg.nak();
  }

  /** Raises the settled sequence and forgets held copies at or below it. */
  #settle(through: number, held: Map<number, Held>): void {
    if (through <= this.#settledThrough) return;
    this.#settledThrough = through;
    for (const seq of held.keys()) if (seq <= through) held.delete(seq);
  }

  /** Holds the valid messages for folding (each stream sequence once); dead-letters the rest. */
  async #take(arrived: readonly Arrived[], held: Map<number, Held>, stale: Held[]): Promise<void> {
    for (const { msg, parsed } of arrived) {
      const { streamSequence: seq, deliverySequence } = msg.info;
      if (seq <= this.#settledThrough && parsed.ok) {
        // A copy of a settled message, redelivered before the server took its ack (or after
        // an ack lost on a reconnect). Not counted by the gate: it is not outstanding. It is
        // still folded — a no-op if the window's mark counts it, which it should — and acked.
        const event = parsed.value;
        stale.push({
          msg,
          event,
          seq,
          firstDelivery: 0,
          address: windowOf(event, this.#s.windowMs),
        });
        continue;
      }
      if (held.has(seq)) {
        // Redelivered to this instance while it held it (its ack wait passed): the first
        // delivery stays, since the gate needs when this instance first had it (an ack by
        // either delivery's reply subject acks the message).
        continue;
      }
      if (parsed.ok) {
        const event = parsed.value;
        const address = windowOf(event, this.#s.windowMs);
        held.set(seq, { msg, event, seq, firstDelivery: deliverySequence, address });
      } else await this.#deadLetter(msg, parsed.error);
    }
  }

  /** Folds a batch of held messages into their windows, then acks them all. */
  async #fold(batch: Held[]): Promise<void> {
    const { windows, metrics, nc } = this.#p;
    const oldest = this.#now() - this.#s.retentionMs;
    const items: Array<Held & { readonly address: WindowAddress }> = [];
    let late = 0;
    const acks: Held[] = [];
    for (const held of batch) {
      const { address } = held;
      if (address === undefined) {
        acks.push(held); // counted by no window (definition.invalid)
      } else if (address.windowStart + this.#s.windowMs < oldest) {
        late += 1; // its window is past retention (and purged): counting it would revive it
        acks.push(held);
      } else items.push(held as Held & { readonly address: WindowAddress });
    }
    const groups = [];
    for (const group of groupByWindow(items)) {
      try {
        // Checked once per window, not per event: an event dated before 1970 has no key.
        KnowledgeKeys.metricsWindow(group.address.agent, group.address.windowStart);
      } catch (error) {
        const reason = toPatinoxError(error);
        for (const { msg } of group.events) await this.#deadLetter(msg, reason); // terminated
        continue;
      }
      groups.push(group);
      for (const item of group.events) acks.push(item);
    }
    const writes = await Promise.all(groups.map((w) => windows.write(w)));
    // In stream order: acks that arrive late (a leader deposed meanwhile) then always settle a
    // prefix, so the next leader's ack floor — and its settled sequence — stays exact.
    acks.sort((a, b) => a.seq - b.seq);
    const last = acks.pop()?.msg;
    for (const { msg } of acks) msg.ack();
    // The server takes one connection's acks in order: once the last one is confirmed, the
    // consumer's ack-pending count no longer holds any of this batch, and the next gate check
    // is exact rather than waiting on acks still in flight.
    if (last === undefined || !(await last.ackAck().catch(() => false))) await nc.flush();
    const counted = groups.reduce((n, g) => n + g.events.length, 0);
    const folded = writes.reduce((n, w) => n + w.folded, 0);
    metrics.folded(folded, counted - folded, late);
  }

  /** Records a dead letter (deduplicated by stream sequence), then terminates the message. */
  async #deadLetter(msg: JsMsg, error: PatinoxError): Promise<void> {
    const msgId = msg.headers?.get("Nats-Msg-Id");
    const letter = createDeadLetter({
      service: this.#s.service,
      subject: msg.subject,
      payload: msg.data,
      error,
      receivedAt: new Date(this.#now()),
      stream: this.#s.stream,
      streamSeq: msg.seq,
      consumer: this.#s.durable,
      ...(msgId ? { msgId } : {}),
    });
    await this.#p.deadLetters.publish(letter);
    // No reason text: `+TERM <reason>` needs nats-server 2.10.4; 2.9 ignores it and redelivers.
    msg.term();
    this.#p.metrics.deadLettered(error.code);
    this.#p.logger.warn(
      { seq: msg.seq, subject: msg.subject, code: error.code, reason: error.message },
      "telemetry event dead-lettered",
    );
  }

  async #refreshConsumerInfo(): Promise<void> {
    try {
      const info = await (await this.#p.js.consumers.get(this.#s.stream, this.#s.durable)).info();
      this.#p.metrics.observeConsumer(info.num_pending, info.num_ack_pending);
    } catch (error) {
      this.#p.logger.debug({ err: error }, "consumer info unavailable");
    }
  }
}
