import {
  createInbox,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
  type Subscription,
} from "@nats-io/nats-core";
import { encode, type Subjects, type TelemetryEvent } from "@patinox/contracts";
import type { Logger } from "@patinox/runtime";

/** Options of {@link TelemetryPublisher}. */
export interface TelemetryPublisherOptions {
  readonly nc: NatsConnection;
  readonly subjects: Subjects;
  /** The service the events come from (the subject's service token). */
  readonly service: string;
  readonly logger: Logger;
  /**
   * Events waiting for their acknowledgement; past it, new events are dropped and counted
   * (never a wait: a run must not be held up by its telemetry). @default 10000
   */
  readonly maxPending?: number;
  /** Sends per event, each with the same `Nats-Msg-Id`. @default 3 */
  readonly attempts?: number;
  /** How long a send waits for the stream's acknowledgement before it is sent again. @default 5000 */
  readonly ackTimeoutMs?: number;
  /**
   * Prefix of the subject acknowledgements come back on; must be one the connection may
   * subscribe to (the connection's `inboxPrefix` if it has one). @default "_INBOX"
   */
  readonly inboxPrefix?: string;
}

/** How often waiting events are looked at (timeouts, retries after a failed send). */
const SWEEP_INTERVAL_MS = 100;
/** At most one warning per this interval while events fail, so an outage does not flood logs. */
const WARN_INTERVAL_MS = 10_000;

/** An event sent and not acknowledged yet. */
interface PendingEvent {
  readonly subject: string;
  readonly data: Uint8Array;
  /** The trace headers and `Nats-Msg-Id`: the same on every send, so the stream de-duplicates. */
  readonly headers: MsgHdrs;
  readonly reply: string;
  readonly type: string;
  /** Sends so far. */
  attempt: number;
  /** `performance.now()` after which it is sent again (or given up on): ack deadline or retry time. */
  dueAt: number;
  /** Why the last send failed, when the stream said so. */
  failure: string | undefined;
}

/**
 * Publishes telemetry events into the telemetry stream without holding up the run that
 * produced them, and without a request per event: each event is a core NATS publish whose
 * reply subject is this publisher's inbox plus a token, one wildcard subscription takes every
 * acknowledgement, and one timer (not one per event) sends again what was not acknowledged in
 * time or what the stream refused, with the same `Nats-Msg-Id`, so the stream's duplicate
 * window drops any copy that did arrive (the pattern of the Go client's `PublishAsync`).
 *
 * Telemetry is never allowed to fail a run: past `maxPending` events waiting, or after
 * `attempts` sends, an event is counted in {@link TelemetryPublisher.dropped} and a warning is
 * logged (at most one per 10 s).
 */
export class TelemetryPublisher {
  readonly #options: TelemetryPublisherOptions;
  readonly #maxPending: number;
  readonly #attempts: number;
  readonly #ackTimeoutMs: number;
  /** `<inbox>.`: the acknowledgement of an event comes on this plus its token. */
  readonly #replyPrefix: string;
  readonly #pending = new Map<string, PendingEvent>();
  readonly #acks: Subscription;
  readonly #idle: Array<() => void> = [];
  /** Tokens of events not sent yet: they go out together at the end of this turn. */
  #outbox: string[] = [];
  #sending: NodeJS.Immediate | undefined;
  #sweep: NodeJS.Timeout | undefined;
  #nextToken = 0;
  #closed = false;
  #lastWarning = Number.NEGATIVE_INFINITY;
  readonly #subjects = new Map<string, string>();
  /** Events given up on (the stream unreachable, or too many waiting); in the warning logs. */
  dropped = 0;
  /** Sends after the first (an acknowledgement late or lost, or the stream refused the event). */
  resent = 0;

  constructor(options: TelemetryPublisherOptions) {
    this.#options = options;
    this.#maxPending = options.maxPending ?? 10_000;
    this.#attempts = options.attempts ?? 3;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
    this.#replyPrefix = `${createInbox(options.inboxPrefix)}.`;
    this.#acks = options.nc.subscribe(`${this.#replyPrefix}*`, {
      callback: (error, msg) => {
        // Once (the subscription ends): every event will now look unacknowledged and be sent
        // again until given up on, though the stream may hold it; the operator must know why.
        if (error) {
          options.logger.error(
            { inbox: `${this.#replyPrefix}*`, reason: error.message },
            "telemetry acknowledgements cannot be received (may Execute subscribe to its inbox?)",
          );
        } else this.#acknowledged(msg);
      },
    });
  }

  /** Events sent and not acknowledged yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Queues `event` for the stream; `headers` carry its trace context. Never throws. */
  publish(event: TelemetryEvent, headers?: MsgHdrs): void {
    if (this.#closed) {
      this.#drop(event.type, "the publisher is closed (shutting down)");
      return;
    }
    if (this.#pending.size >= this.#maxPending) {
      this.#drop(event.type, "too many events waiting for the stream");
      return;
    }
    // A copy per event: a run's events share one set of trace headers, and each has its own id.
    const eventHeaders = headers === undefined ? natsHeaders() : copyOf(headers);
    eventHeaders.set("Nats-Msg-Id", event.id);
    const token = (this.#nextToken++).toString(36);
    const pending: PendingEvent = {
      subject: this.#subjectOf(event.type),
      data: encode(event),
      headers: eventHeaders,
      reply: this.#replyPrefix + token,
      type: event.type,
      attempt: 1,
      dueAt: performance.now() + this.#ackTimeoutMs,
      failure: undefined,
    };
    this.#pending.set(token, pending);
    this.#outbox.push(token);
    // Sent once per turn of the event loop, all together: the client then writes them to the
    // socket in one go instead of one write per event (or per run).
    this.#sending ??= setImmediate(this.#sendOutbox);
    this.#sweep ??= setInterval(() => this.#resendDue(), SWEEP_INTERVAL_MS).unref();
  }

  /**
   * Waits until every event sent is acknowledged or given up on, at most `timeoutMs`: called
   * on shutdown. Resolves `true` when nothing is left waiting.
   */
  async flush(timeoutMs: number): Promise<boolean> {
    if (this.#pending.size === 0) return true;
    return await new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#idle.splice(this.#idle.indexOf(wake), 1);
        resolve(false);
      }, timeoutMs);
      this.#idle.push(wake);
    });
  }

  /**
   * Stops: the acknowledgement subscription and the timer end, events still waiting are
   * counted as dropped, and later events are dropped. Call after {@link flush}, before the
   * connection drains.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    clearImmediate(this.#sending);
    this.#sending = undefined;
    this.#outbox = [];
    const left = this.#pending.size;
    this.#pending.clear();
    this.#wakeIdle();
    try {
      this.#acks.unsubscribe();
    } catch {
      // The connection is already closed: so is the subscription.
    }
    if (left > 0) {
      this.dropped += left;
      this.#options.logger.warn(
        { unacknowledged: left, dropped: this.dropped },
        "telemetry events not acknowledged by the stream before shutdown",
      );
    }
  }

  /** The subject of an event type, checked once per type rather than once per event. */
  #subjectOf(type: TelemetryEvent["type"]): string {
    let subject = this.#subjects.get(type);
    if (subject === undefined) {
      subject = this.#options.subjects.telemetry(this.#options.service, type);
      this.#subjects.set(type, subject);
    }
    return subject;
  }

  readonly #sendOutbox = (): void => {
    this.#sending = undefined;
    const tokens = this.#outbox;
    this.#outbox = [];
    for (const token of tokens) {
      const pending = this.#pending.get(token);
      if (pending !== undefined) this.#send(token, pending);
    }
  };

  #send(token: string, pending: PendingEvent): void {
    try {
      this.#options.nc.publish(pending.subject, pending.data, {
        headers: pending.headers,
        reply: pending.reply,
      });
    } catch (error) {
      // A closed or draining connection: nothing will come back, so no point waiting for it.
      this.#failed(token, pending, error instanceof Error ? error.message : String(error));
    }
  }

  #acknowledged(msg: Msg): void {
    const token = msg.subject.slice(this.#replyPrefix.length);
    const pending = this.#pending.get(token);
    // A late acknowledgement of an event already confirmed (sent twice, both acknowledged).
    if (pending === undefined) return;
    const failure = ackFailure(msg);
    if (failure === undefined) {
      this.#pending.delete(token);
      if (this.#pending.size === 0) this.#wakeIdle();
    } else {
      this.#failed(token, pending, failure);
    }
  }

  /** A send failed: try again after a backoff, or give up when no attempt is left. */
  #failed(token: string, pending: PendingEvent, reason: string): void {
    if (pending.attempt >= this.#attempts) {
      this.#giveUp(token, pending, reason);
      return;
    }
    pending.failure = reason;
    pending.dueAt = performance.now() + 100 * 2 ** pending.attempt;
  }

  /** The timer: sends again what is due (unacknowledged in time, or failed and waited out). */
  #resendDue(): void {
    const now = performance.now();
    for (const [token, pending] of this.#pending) {
      if (pending.dueAt > now) continue;
      if (pending.attempt >= this.#attempts) {
        this.#giveUp(
          token,
          pending,
          pending.failure ?? `no acknowledgement within ${this.#ackTimeoutMs} ms`,
        );
        continue;
      }
      pending.attempt++;
      this.resent++;
      pending.dueAt = now + this.#ackTimeoutMs;
      this.#send(token, pending);
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  #giveUp(token: string, pending: PendingEvent, reason: string): void {
    this.#pending.delete(token);
    this.#drop(pending.type, reason);
    if (this.#pending.size === 0) this.#wakeIdle();
  }

  #drop(type: string, reason: string): void {
    this.dropped++;
    this.#warn(
      { type, reason, dropped: this.dropped },
      "telemetry event dropped (is the telemetry stream there? Monitor creates it)",
    );
  }

  #warn(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.#lastWarning < WARN_INTERVAL_MS) return;
    this.#lastWarning = now;
    this.#options.logger.warn(fields, message);
  }

  #wakeIdle(): void {
    for (const wake of this.#idle.splice(0)) wake();
  }
}

const decoder = new TextDecoder();

/**
 * Why an acknowledgement is not one, or `undefined` when the stream stored the event (or had
 * it already: a duplicate is a success). A status message without a body is the server
 * answering for JetStream: 503 when no stream takes the subject.
 */
function ackFailure(msg: Msg): string | undefined {
  if (msg.data.length === 0) {
    const code = msg.headers?.code ?? 0;
    return code === 503
      ? "no stream takes the subject"
      : `status ${code} ${msg.headers?.description ?? ""}`.trim();
  }
  let ack: { stream?: unknown; error?: { description?: unknown } };
  try {
    ack = JSON.parse(decoder.decode(msg.data)) as typeof ack;
  } catch {
    return "the acknowledgement is not JSON";
  }
  if (ack.error !== undefined) return String(ack.error.description ?? "the stream refused it");
  return typeof ack.stream === "string" && ack.stream !== ""
    ? undefined
    : "the acknowledgement names no stream";
}

function copyOf(source: MsgHdrs): MsgHdrs {
  const copy = natsHeaders();
  for (const key of source.keys()) {
    for (const value of source.values(key)) copy.append(key, value);
  }
  return copy;
}
