import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  ReplayPolicy,
} from "@nats-io/jetstream";
import { nanos } from "@nats-io/nats-core";

/** What {@link ensureTelemetryConsumer} needs. */
export interface TelemetryConsumerOptions {
  readonly stream: string;
  readonly durable: string;
  readonly ackWaitMs: number;
  /** The most unacked messages the server hands out (a few batches: one folding, more arriving). */
  readonly maxAckPending: number;
}

/**
 * Creates Monitor's durable pull consumer (explicit acks, from the first message, redelivered
 * without limit: a telemetry event is dropped only by the dead-letter path), or updates the
 * fields that may change on an existing one. Idempotent and safe when replicas race. A
 * consumer created by an earlier version with a filter subject keeps it (2.9 cannot change a
 * filter); it sees the same messages, only slower.
 */
export async function ensureTelemetryConsumer(
  jsm: JetStreamManager,
  options: TelemetryConsumerOptions,
): Promise<ConsumerInfo> {
  const updatable = {
    description: "Monitor: folds telemetry into metric windows",
    ack_wait: nanos(options.ackWaitMs),
    max_ack_pending: options.maxAckPending,
    max_deliver: -1,
  };
  const existing = await consumerInfo(jsm, options.stream, options.durable);
  if (existing === undefined) {
    const config: Partial<ConsumerConfig> = {
      ...updatable,
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      replay_policy: ReplayPolicy.Instant,
      // No filter subject: the stream holds telemetry only, and on nats-server 2.9 a consumer
      // with a wildcard filter delivered part of a large stream at a tenth of the rate
      // (`pnpm bench:monitor`: 120 000 events, stalls after ~85 %; none unfiltered).
    };
    try {
      return await jsm.consumers.add(options.stream, config);
    } catch (error) {
      // A replica created it first with other settings: read it back and update below.
      const raced = await consumerInfo(jsm, options.stream, options.durable);
      if (raced === undefined) throw error;
      return await updateIfDifferent(jsm, raced, updatable);
    }
  }
  return await updateIfDifferent(jsm, existing, updatable);
}

async function updateIfDifferent(
  jsm: JetStreamManager,
  info: ConsumerInfo,
  wanted: { description: string; ack_wait: number; max_ack_pending: number; max_deliver: number },
): Promise<ConsumerInfo> {
  const c = info.config;
  const same =
    c.ack_wait === wanted.ack_wait &&
    c.max_ack_pending === wanted.max_ack_pending &&
    (c.max_deliver ?? -1) === wanted.max_deliver &&
    (c.description ?? "") === wanted.description;
  return same ? info : await jsm.consumers.update(info.stream_name, info.name, wanted);
}

async function consumerInfo(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound) {
      return undefined;
    }
    throw error;
  }
}
