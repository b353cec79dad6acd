import {
  type NatsConnection,
  NoRespondersError,
  type QueuedIterator,
  RequestError,
} from "@nats-io/nats-core";
import { type ServiceInfo, type ServiceStats, Svcm } from "@nats-io/services";
import { PATINOX_SERVICES, type PatinoxServiceName } from "@patinox/contracts";
import { BucketNotFound, JetStreamUnavailable } from "./errors.ts";
import { type BucketStats, openBucket } from "./knowledge-bucket.ts";

/** One endpoint of a service instance. */
export interface EndpointSummary {
  readonly name: string;
  readonly subject: string;
}

/** One running instance of a micro service, as discovery found it. */
export interface ServiceInstance {
  readonly name: string;
  /** The Patinox instance id (`metadata.instance`), else the micro service id. */
  readonly instance: string;
  /** The micro service id (unique per registration). */
  readonly id: string;
  readonly version: string;
  /** When the instance started (ISO 8601), or `null` if it did not answer `$SRV.STATS` in time. */
  readonly startedAt: string | null;
  /** Milliseconds since `startedAt`, or `null` with it. */
  readonly uptimeMs: number | null;
  readonly endpoints: readonly EndpointSummary[];
  /** Service metadata as registered (`instance`, `prefix`, `bucket` for Patinox services). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The knowledge bucket's statistics, or why there are none. */
export type KnowledgeSummary =
  | ({ readonly found: true } & BucketStats)
  | {
      readonly found: false;
      readonly bucket: string;
      /** Why, and what to do: the message `kv` commands would fail with. */
      readonly reason: string;
    };

/** Everything `patinox status` shows; the table and `--json` render this same object. */
export interface StatusReport {
  /** The server answering (host:port). */
  readonly server: string;
  /** The subject prefix of the deployment looked at. */
  readonly prefix: string;
  /** Instances of the four Patinox services with this prefix, in loop order. */
  readonly services: readonly ServiceInstance[];
  /** Patinox services with no instance answering. */
  readonly missing: readonly PatinoxServiceName[];
  /** Other micro services on the same NATS (other names, or Patinox under another prefix). */
  readonly others: readonly ServiceInstance[];
  readonly knowledge: KnowledgeSummary;
}

/** Options for {@link collectStatus}. */
export interface CollectStatusOptions {
  /** The knowledge bucket to report on. */
  readonly bucket: string;
  /** The subject prefix that marks this deployment's services. @default "patinox" */
  readonly prefix?: string;
  /** How long to wait for the first discovery answer. @default 1000 */
  readonly timeoutMs?: number;
  /** The clock uptimes are measured against. @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * Once answers have started, discovery ends after this long without another. Instances on one
 * NATS answer within milliseconds of each other; waiting the whole timeout would make every
 * `status` as slow as the slowest possible network.
 */
const DISCOVERY_STALL_MS = 300;

/**
 * Finds the running services through micro-service discovery (`$SRV.INFO` and `$SRV.STATS`,
 * asked at once), tells which of the four Patinox services are missing, and reads the
 * knowledge bucket's statistics. A missing bucket is reported, not thrown: `status` is what
 * you run to find out what is there.
 */
export async function collectStatus(
  nc: NatsConnection,
  options: CollectStatusOptions,
): Promise<StatusReport> {
  const prefix = options.prefix ?? "patinox";
  const timeoutMs = options.timeoutMs ?? 1_000;
  const now = options.now ?? (() => new Date());
  const client = new Svcm(nc).client({
    strategy: "stall",
    maxWait: timeoutMs,
    stall: Math.min(DISCOVERY_STALL_MS, timeoutMs),
  });
  const [infos, stats, knowledge] = await Promise.all([
    drain(client.info()),
    drain(client.stats()),
    summariseKnowledge(nc, options.bucket),
  ]);

  const startedById = new Map(stats.map((s) => [s.id, s.started]));
  const instances = infos.map((info) => toInstance(info, startedById.get(info.id), now()));
  // An instance may answer STATS but not INFO within the window; it is still running.
  const seen = new Set(infos.map((i) => i.id));
  for (const stat of stats) {
    if (!seen.has(stat.id)) instances.push(toInstance(stat, stat.started, now()));
  }

  const isOurs = (s: ServiceInstance) =>
    isPatinoxService(s.name) && (s.metadata.prefix === undefined || s.metadata.prefix === prefix);
  const services = instances.filter(isOurs).sort(byLoopOrder);
  const others = instances
    .filter((s) => !isOurs(s))
    .sort((a, b) => compare(a.name, b.name) || compare(a.instance, b.instance));
  const present = new Set(services.map((s) => s.name));
  const missing = PATINOX_SERVICES.filter((name) => !present.has(name));
  return { server: nc.getServer(), prefix, services, missing, others, knowledge };
}

async function summariseKnowledge(nc: NatsConnection, bucket: string): Promise<KnowledgeSummary> {
  try {
    const { stats } = await openBucket(nc, bucket);
    return { found: true, ...stats };
  } catch (error) {
    // status is what you run to find out what is there: a missing bucket is a finding.
    if (error instanceof BucketNotFound || error instanceof JetStreamUnavailable) {
      return { found: false, bucket, reason: error.message };
    }
    throw error;
  }
}

/** Collects every discovery answer; nobody listening on `$SRV` means no services, not a failure. */
async function drain<T>(request: Promise<QueuedIterator<T>>): Promise<T[]> {
  const answers: T[] = [];
  try {
    for await (const answer of await request) answers.push(answer);
  } catch (error) {
    const noResponders =
      error instanceof NoRespondersError ||
      (error instanceof RequestError && error.isNoResponders());
    if (!noResponders) throw error;
  }
  return answers;
}

function toInstance(
  source: ServiceInfo | ServiceStats,
  started: string | undefined,
  now: Date,
): ServiceInstance {
  const metadata = source.metadata ?? {};
  const startedMs = started === undefined ? Number.NaN : Date.parse(started);
  const known = Number.isFinite(startedMs);
  return {
    name: source.name,
    instance: metadata.instance ?? source.id,
    id: source.id,
    version: source.version,
    startedAt: known ? new Date(startedMs).toISOString() : null,
    uptimeMs: known ? Math.max(0, now.getTime() - startedMs) : null,
    endpoints: (source.endpoints ?? []).map((e) => ({ name: e.name, subject: e.subject })),
    metadata,
  };
}

function isPatinoxService(name: string): name is PatinoxServiceName {
  return (PATINOX_SERVICES as readonly string[]).includes(name);
}

function byLoopOrder(a: ServiceInstance, b: ServiceInstance): number {
  const order = (s: ServiceInstance) => PATINOX_SERVICES.indexOf(s.name as PatinoxServiceName);
  return order(a) - order(b) || compare(a.instance, b.instance);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
