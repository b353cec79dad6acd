import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { ActorDefinition } from "@patinox/actors";
import { streamNames } from "@patinox/contracts";
import type { ServiceDefinition } from "@patinox/runtime";
import { DeadLetterSink, ensureStream, installationStreams } from "@patinox/streams";
import { ShardLease } from "./intake-lease.ts";
import { IntakeMetrics } from "./intake-metrics.ts";
import { MonitorConfigSchema } from "./monitor-config.ts";
import { ensureTelemetryConsumer } from "./telemetry-consumer.ts";
import { TelemetryIntake } from "./telemetry-intake.ts";
import { WindowPurger } from "./window-purger.ts";
import { WindowStore } from "./window-store.ts";

/** The shard of the intake lease: the whole telemetry stream is one shard (docs/monitor.md). */
const INTAKE_SHARD = "0";

/**
 * Monitor: folds the telemetry stream into per-agent metric windows in the knowledge bucket,
 * exactly once, with one active intake per installation (the lease holder) and the other
 * replicas standing by.
 */
export const monitorService: ServiceDefinition<typeof MonitorConfigSchema> = {
  name: "monitor",
  version: "0.1.0",
  healthPort: 8082,
  description: "Folds telemetry into time windows in the knowledge bucket",
  config: MonitorConfigSchema,
  async start(context) {
    const { config, logger, nc, knowledge } = context;
    const jsm = await jetstreamManager(nc);
    const streams = installationStreams({
      prefix: config.PATINOX_PREFIX,
      replicas: config.PATINOX_STREAM_REPLICAS,
      telemetryMaxAgeMs: config.PATINOX_TELEMETRY_MAX_AGE_MS,
      telemetryMaxBytes: config.PATINOX_TELEMETRY_MAX_BYTES,
    });
    const stream = await ensureStream(jsm, streams.telemetry);
    logger.info(
      { stream: streams.telemetry.name, action: stream.action },
      "telemetry stream ready",
    );
    const durable = config.PATINOX_MONITOR_CONSUMER;
    await ensureTelemetryConsumer(jsm, {
      stream: streams.telemetry.name,
      durable,
      ackWaitMs: config.PATINOX_MONITOR_ACK_WAIT_MS,
      // Room for the batch being folded and more than one arriving meanwhile: with only two
      // batches out, the server stopped delivering while a fold waited on its writes, acks and
      // consumer info, and Monitor sat idle ~11 % of the time (`pnpm bench:monitor`).
      maxAckPending: 4 * config.PATINOX_MONITOR_BATCH,
    });
    const deadLetters = await DeadLetterSink.open(nc, {
      prefix: config.PATINOX_PREFIX,
      replicas: config.PATINOX_STREAM_REPLICAS,
    });
    const metrics = new IntakeMetrics(context.telemetry.meter);
    const kv = await new Kvm(nc).open(config.PATINOX_BUCKET);
    // A stream deleted and created again restarts its sequences at 1: keying the high-water
    // marks by creation time keeps old marks from hiding new events.
    const source = `${streams.telemetry.name}@${Date.parse(stream.info.created)}`;
    const intake = new TelemetryIntake(
      {
        service: "monitor",
        stream: streams.telemetry.name,
        durable,
        source,
        batch: config.PATINOX_MONITOR_BATCH,
        windowMs: config.PATINOX_MONITOR_WINDOW_MS,
        retentionMs: config.PATINOX_MONITOR_RETENTION_MS,
        leaseTtlMs: config.PATINOX_MONITOR_LEASE_TTL_MS,
        purgeIntervalMs: config.PATINOX_MONITOR_PURGE_INTERVAL_MS,
      },
      {
        nc,
        js: jetstream(nc),
        windows: new WindowStore({
          kv,
          knowledge,
          windowMs: config.PATINOX_MONITOR_WINDOW_MS,
          source,
        }),
        deadLetters,
        lease: new ShardLease({
          knowledge,
          service: "monitor",
          shard: INTAKE_SHARD,
          holder: context.instanceId,
          ttlMs: config.PATINOX_MONITOR_LEASE_TTL_MS,
        }),
        purger: new WindowPurger({
          kv,
          retentionMs: config.PATINOX_MONITOR_RETENTION_MS,
          windowMs: config.PATINOX_MONITOR_WINDOW_MS,
          logger,
        }),
        metrics,
        logger,
      },
    );
    context.addReadinessCheck({
      name: "telemetry-consumer",
      async check() {
        const info = await jsm.consumers.info(streams.telemetry.name, durable);
        metrics.observeConsumer(info.num_pending, info.num_ack_pending);
        return {
          ok: true,
          detail: `${intake.role}; pending ${info.num_pending}, ack pending ${info.num_ack_pending}`,
        };
      },
    });
    await context.supervisor.spawn(intakeActor(intake));
    logger.info(
      { names: streamNames(config.PATINOX_PREFIX), windowMs: config.PATINOX_MONITOR_WINDOW_MS },
      "telemetry intake started",
    );
  },
};

/** Told to the actor by its own loop when the loop ends while it should be running. */
interface IntakeEnded {
  readonly error: unknown;
}

/**
 * The actor around the intake loop: the loop runs in the background of each incarnation; if
 * it fails, the actor crashes on purpose so its supervisor restarts it with backoff (unacked
 * messages come back, and the intake's rules make that harmless).
 */
function intakeActor(intake: TelemetryIntake): ActorDefinition<IntakeEnded> {
  return {
    name: "telemetry-intake",
    mailbox: { capacity: 1, overflow: "reject" },
    start(ctx) {
      const report = (error: unknown): void => {
        if (ctx.signal.aborted) return;
        try {
          ctx.self.tell({ error });
        } catch {
          // Stopping after all.
        }
      };
      const running = intake
        .run(ctx.signal)
        .then(() => report(new Error("the telemetry intake ended")), report);
      return {
        receive(message) {
          throw message.error;
        },
        async stop() {
          await running;
        },
      };
    },
  };
}
