import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";
import { createDeadLetter, FindingEvent, PatinoxError, parseMessage } from "@patinox/contracts";
import type { DeadLetterSink } from "@patinox/streams";
import type { Logger } from "pino";

/** What {@link FindingConsumer} needs. */
export interface FindingConsumerOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly durable: string;
  /** `<prefix>.events.finding.*` (one filter: nats-server 2.9 has no multiple filters). */
  readonly filterSubject: string;
  readonly ackWaitMs: number;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  /** Handles one event; resolves once its effects are durable. */
  readonly handle: (event: FindingEvent) => Promise<void>;
}

/** How long a message that could not be handled waits before it is redelivered. */
const RETRY_DELAY_MS = 2_000;

/**
 * Plan's durable pull consumer of finding events. A message is acked only after the
 * controller's step for it is durable in the bucket; one that fails its schema is dead-lettered
 * and terminated (never blocks the rest); one whose handling failed for a passing reason (NATS,
 * the bucket) is nak'ed with a delay and comes back. Events are hints — the controller reads
 * the bucket — so a redelivered event only repeats a step that is already done.
 */
export class FindingConsumer {
  readonly #o: FindingConsumerOptions;

  constructor(options: FindingConsumerOptions) {
    this.#o = options;
  }

  /** Creates the durable consumer, or updates what may change; safe when replicas race. */
  async ensure(): Promise<void> {
    const { jsm, stream, durable } = this.#o;
    const updatable = {
      description: "Plan: turns findings into pull requests",
      ack_wait: nanos(this.#o.ackWaitMs),
      max_ack_pending: 64,
      max_deliver: -1,
    };
    try {
      await jsm.consumers.info(stream, durable);
      await jsm.consumers.update(stream, durable, updatable);
    } catch (error) {
      if (
        !(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound)
      )
        throw error;
      const config: Partial<ConsumerConfig> = {
        ...updatable,
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: this.#o.filterSubject,
      };
      try {
        await jsm.consumers.add(stream, config);
      } catch (raced) {
        // Another replica created it between our look and our add.
        await jsm.consumers.info(stream, durable).catch(() => {
          throw raced;
        });
      }
    }
  }

  /** Pulls and handles events until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const consumer = await this.#o.js.consumers.get(this.#o.stream, this.#o.durable);
    while (!signal.aborted) {
      const messages = await consumer.fetch({ max_messages: 16, expires: 1_000 });
      const stop = () => messages.stop();
      signal.addEventListener("abort", stop, { once: true });
      const fetched: JsMsg[] = [];
      try {
        for await (const msg of messages) fetched.push(msg);
      } finally {
        signal.removeEventListener("abort", stop);
      }
      for (const msg of fetched) {
        if (signal.aborted) {
          msg.nak();
          continue;
        }
        await this.#handle(msg);
      }
    }
  }

  async #handle(msg: JsMsg): Promise<void> {
    const parsed = parseMessage(FindingEvent, msg.data);
    if (!parsed.ok) {
      await this.#deadLetter(msg, parsed.error);
      return;
    }
    // A pull request flow can outlast the ack wait (GitHub's pacing, retries): tell the server
    // the message is still being worked on, so it is not handed out again meanwhile.
    const heartbeat = setInterval(
      () => msg.working(),
      Math.max(500, Math.floor(this.#o.ackWaitMs / 2)),
    );
    try {
      await this.#o.handle(parsed.value);
      msg.ack();
    } catch (error) {
      this.#o.logger.warn(
        {
          seq: msg.seq,
          code: error instanceof PatinoxError ? error.code : "internal",
          err: String(error),
        },
        "finding event not handled; redelivering",
      );
      msg.nak(RETRY_DELAY_MS);
    } finally {
      clearInterval(heartbeat);
    }
  }

  async #deadLetter(msg: JsMsg, error: PatinoxError): Promise<void> {
    try {
      await this.#o.deadLetters.publish(
        createDeadLetter({
          service: "plan",
          subject: msg.subject,
          payload: msg.data,
          error,
          receivedAt: new Date(),
          stream: this.#o.stream,
          streamSeq: msg.seq,
          consumer: this.#o.durable,
          ...(msg.headers?.get("Nats-Msg-Id") ? { msgId: msg.headers.get("Nats-Msg-Id") } : {}),
        }),
      );
      this.#o.logger.warn(
        { seq: msg.seq, code: error.code },
        "malformed finding event dead-lettered",
      );
      msg.term();
    } catch (publishError) {
      this.#o.logger.warn(
        { seq: msg.seq, err: String(publishError) },
        "dead letter not published; redelivering",
      );
      msg.nak(RETRY_DELAY_MS);
    }
  }
}
