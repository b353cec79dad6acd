// Creates or updates the knowledge bucket and every stream of the installation, idempotently,
// with the replicas of PATINOX_BUCKET_REPLICAS and PATINOX_STREAM_REPLICAS. Run from the
// execute image's /app (the Kubernetes Job mounts it at /app/setup) with the NATS variables
// every service reads. Exit 0 when everything exists as configured, 78 on bad configuration.
import { jetstreamManager } from "@nats-io/jetstream";
import { openKnowledge } from "@patinox/knowledge";
import {
  ConfigError,
  connectNats,
  EXIT_CONFIG,
  env,
  NatsConnectionConfigSchema,
  readConfig,
} from "@patinox/runtime";
import { ensureStream, installationStreams } from "@patinox/streams";
import { z } from "zod";

const SetupConfigSchema = NatsConnectionConfigSchema.extend({
  PATINOX_PREFIX: env.subjectPrefix().default("patinox"),
  PATINOX_BUCKET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default("patinox"),
  PATINOX_BUCKET_REPLICAS: env.int(1, 5).default(1),
  PATINOX_STREAM_REPLICAS: env.int(1, 5).default(1),
  // The limits Monitor and Execute set on their streams, so the Job and the services agree.
  PATINOX_TELEMETRY_MAX_AGE_MS: env.int(60_000, 365 * 86_400_000).optional(),
  PATINOX_TELEMETRY_MAX_BYTES: env.int(-1, Number.MAX_SAFE_INTEGER).optional(),
  PATINOX_RESULTS_MAX_AGE_MS: env.int(60_000, 365 * 86_400_000).optional(),
});

let config;
try {
  config = readConfig(SetupConfigSchema);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(EXIT_CONFIG);
}
const log = (fields) => console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
const nc = await connectNats(config, "patinox-jetstream-setup");
try {
  const knowledge = await openKnowledge(nc, {
    bucket: config.PATINOX_BUCKET,
    replicas: config.PATINOX_BUCKET_REPLICAS,
  });
  const status = await knowledge.status();
  log({ msg: "knowledge bucket ready", bucket: config.PATINOX_BUCKET, replicas: status.replicas });
  const jsm = await jetstreamManager(nc);
  const streams = installationStreams({
    prefix: config.PATINOX_PREFIX,
    replicas: config.PATINOX_STREAM_REPLICAS,
    telemetryMaxAgeMs: config.PATINOX_TELEMETRY_MAX_AGE_MS,
    telemetryMaxBytes: config.PATINOX_TELEMETRY_MAX_BYTES,
    resultsMaxAgeMs: config.PATINOX_RESULTS_MAX_AGE_MS,
  });
  for (const stream of Object.values(streams)) {
    const { action } = await ensureStream(jsm, stream);
    log({ msg: "stream ready", stream: stream.name, action, replicas: stream.num_replicas });
  }
} finally {
  await nc.drain();
}
