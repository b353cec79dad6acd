import { createHash } from "node:crypto";
import { type JetStreamClient, jetstream, jetstreamManager, type PubAck } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { createSubjects, DEFAULT_PREFIX, DeadLetter, encode } from "@patinox/contracts";
import { ensureStream } from "./ensure-stream.ts";
import { installationStreams } from "./stream-configs.ts";

/** Options for {@link DeadLetterSink.open}. */
export interface DeadLetterSinkOptions {
  /** The subject prefix. @default "patinox" */
  readonly prefix?: string;
  /** Replicas of the dead-letter stream if it has to be created. @default 1 */
  readonly replicas?: number;
  /** How long dead letters are kept, in milliseconds; 0 is forever. @default 30 days */
  readonly maxAgeMs?: number;
}

/**
 * Publishes dead letters to `<prefix>.deadletters.<service>` through JetStream, into the
 * dead-letter stream it ensures on open. Each letter carries a `Nats-Msg-Id` derived from the
 * message it reports, so reporting the same terminated message twice (a consumer that crashed
 * after publishing the letter and before terminating) stores it once within the duplicate window.
 */
export class DeadLetterSink {
  readonly #js: JetStreamClient;
  readonly #prefix: string;

  private constructor(js: JetStreamClient, prefix: string) {
    this.#js = js;
    this.#prefix = prefix;
  }

  /** Ensures the dead-letter stream exists (create or update, race-safe) and returns a sink. */
  static async open(
    nc: NatsConnection,
    options: DeadLetterSinkOptions = {},
  ): Promise<DeadLetterSink> {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const streams = installationStreams({
      prefix,
      ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
      ...(options.maxAgeMs === undefined ? {} : { deadLettersMaxAgeMs: options.maxAgeMs }),
    });
    await ensureStream(await jetstreamManager(nc), streams.deadLetters);
    return new DeadLetterSink(jetstream(nc), prefix);
  }

  /**
   * Publishes `letter` (checked against its schema first) and waits for the stream's ack.
   * @throws ZodError when the letter is not a valid {@link DeadLetter}.
   */
  async publish(letter: DeadLetter): Promise<PubAck> {
    const checked = DeadLetter.parse(letter);
    const subject = createSubjects(this.#prefix).deadLetters(checked.service);
    return await this.#js.publish(subject, encode(checked), { msgID: deadLetterMsgId(checked) });
  }
}

/**
 * The `Nats-Msg-Id` of a dead letter: a hash of what identifies the dead message (service,
 * stream, stream sequence and consumer when it came from a stream; otherwise its subject,
 * message id, reason and payload preview), so the same message reported twice is one letter.
 */
export function deadLetterMsgId(letter: DeadLetter): string {
  const identity =
    letter.streamSeq !== undefined
      ? [letter.service, letter.stream ?? "", String(letter.streamSeq), letter.consumer ?? ""]
      : [
          letter.service,
          letter.subject,
          letter.msgId ?? "",
          letter.code,
          letter.reason,
          letter.payloadPreview,
        ];
  return `dl-${createHash("sha256").update(identity.join("\u0000")).digest("hex").slice(0, 40)}`;
}
