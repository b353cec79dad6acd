import type { JetStreamClient } from "@nats-io/jetstream";
import { type MsgHdrs, headers as natsHeaders } from "@nats-io/nats-core";
import { encode, type Subjects, type TelemetryEvent } from "@patinox/contracts";
import type { Logger } from "@patinox/runtime";

/** Options of {@link TelemetryPublisher}. */
export interface TelemetryPublisherOptions {
  readonly js: JetStreamClient;
  readonly subjects: Subjects;
  /** The service the events come from (the subject's service token). */
  readonly service: string;
  readonly logger: Logger;
  /** Events waiting for their acknowledgement before new ones are dropped. @default 10000 */
  readonly maxPending?: number;
  /** Attempts per event, each with the same `Nats-Msg-Id`. @default 3 */
  readonly attempts?: number;
}

/** How long one publish waits for the stream's acknowledgement. */
const ACK_TIMEOUT_MS = 5_000;
/** At most one warning per this interval while events fail, so an outage does not flood logs. */
const WARN_INTERVAL_MS = 10_000;

/**
 * Publishes telemetry events into the telemetry stream without holding up the run that
 * produced them: `publish` returns at once, the acknowledgement is awaited in the background,
 * and a failed publish is retried with the same `Nats-Msg-Id`, so the stream's duplicate window
 * drops any copy that did arrive. Telemetry is never allowed to fail a run: when the stream
 * cannot be reached the event is counted and dropped, and the next publishes try again.
 */
export class TelemetryPublisher {
  readonly #options: TelemetryPublisherOptions;
  readonly #pending = new Set<Promise<void>>();
  readonly #maxPending: number;
  #lastWarning = Number.NEGATIVE_INFINITY;
  /** Events given up on (the stream unreachable, or too many waiting); in the warning logs. */
  dropped = 0;

  constructor(options: TelemetryPublisherOptions) {
    this.#options = options;
    this.#maxPending = options.maxPending ?? 10_000;
  }

  /** Queues `event` for the stream; `headers` carry its trace context. */
  publish(event: TelemetryEvent, headers?: MsgHdrs): void {
    if (this.#pending.size >= this.#maxPending) {
      this.#drop(event, "too many events waiting for the stream");
      return;
    }
    const sending = this.#send(event, headers).finally(() => this.#pending.delete(sending));
    this.#pending.add(sending);
  }

  /** Waits (at most `timeoutMs`) for the events in flight: called on shutdown. */
  async flush(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.#pending]), deadline]);
    clearTimeout(timer);
  }

  async #send(event: TelemetryEvent, headers: MsgHdrs | undefined): Promise<void> {
    const { js, subjects, service } = this.#options;
    const subject = subjects.telemetry(service, event.type);
    const data = encode(event);
    const attempts = this.#options.attempts ?? 3;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await js.publish(subject, data, {
          msgID: event.id,
          timeout: ACK_TIMEOUT_MS,
          // A copy per publish: the client writes `Nats-Msg-Id` into the headers it is given,
          // and a run's events share one set of trace headers.
          ...(headers ? { headers: copyOf(headers) } : {}),
        });
        return;
      } catch (error) {
        if (attempt === attempts) {
          this.#drop(event, error instanceof Error ? error.message : String(error));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  #drop(event: TelemetryEvent, reason: string): void {
    this.dropped++;
    const now = Date.now();
    if (now - this.#lastWarning < WARN_INTERVAL_MS) return;
    this.#lastWarning = now;
    this.#options.logger.warn(
      { type: event.type, reason, dropped: this.dropped },
      "telemetry event dropped (is the telemetry stream there? Monitor creates it)",
    );
  }
}

function copyOf(source: MsgHdrs): MsgHdrs {
  const copy = natsHeaders();
  for (const key of source.keys()) {
    for (const value of source.values(key)) copy.append(key, value);
  }
  return copy;
}
