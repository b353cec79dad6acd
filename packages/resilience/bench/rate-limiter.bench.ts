/**
 * `pnpm --filter @patinox/resilience bench`: what leasing saves. Two "replicas" (two NATS
 * connections, two limiters) take tokens from one shared bucket on a real nats-server, first
 * with a compare-and-set per request (the baseline: lease of 1 token), then with the default
 * leases. Prints admitted takes per second, p50/p99 latency of one take, the KV writes made,
 * and the ratio. A benchmark, not a test: nothing is asserted.
 */
import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { KnowledgeKeys, RateBucketRecord } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import { NatsServer } from "@patinox/testkit";
import { DEFAULT_LEASE_POLICY, type LeasePolicy, SharedRateLimiter } from "../src/index.ts";

const TAKES = Number(process.env.BENCH_TAKES ?? 20_000);
const IN_FLIGHT_PER_REPLICA = 64;
const rate = { requestsPerMinute: 6_000_000, burst: 1_000_000 };

interface Figures {
  readonly label: string;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly writes: number;
}

async function measure(nats: NatsServer, label: string, lease: LeasePolicy): Promise<Figures> {
  const bucket = `bench${randomBytes(4).toString("hex")}`;
  const connections = await Promise.all([0, 1].map(() => connect({ servers: nats.url })));
  const limiters = await Promise.all(
    connections.map(
      async (nc) =>
        new SharedRateLimiter({ knowledge: await openKnowledge(nc, { bucket }), lease }),
    ),
  );
  const key = KnowledgeKeys.agentRateLimit("bench");
  const latencies: number[] = [];
  let next = 0;
  const worker = async (limiter: SharedRateLimiter) => {
    while (next < TAKES) {
      next++;
      const started = performance.now();
      const decision = await limiter.take(key, rate);
      latencies.push(performance.now() - started);
      if (!decision.admitted) throw new Error("the bench bucket ran dry: raise its burst");
    }
  };
  const started = performance.now();
  await Promise.all(
    limiters.flatMap((limiter) =>
      Array.from({ length: IN_FLIGHT_PER_REPLICA }, () => worker(limiter)),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const knowledge = await openKnowledge(connections[0] as Awaited<ReturnType<typeof connect>>, {
    bucket,
  });
  // The bucket holds only this key: its last revision is the number of writes made.
  const writes = (await knowledge.get(key, RateBucketRecord))?.revision ?? 0;
  await Promise.all(connections.map((nc) => nc.close()));
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { label, perSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), writes };
}

const nats = await NatsServer.start();
try {
  // Warm-up: JIT and the server's file store.
  await measure(nats, "warm-up", DEFAULT_LEASE_POLICY);
  const baseline = await measure(nats, "CAS per request (lease 1)", {
    ...DEFAULT_LEASE_POLICY,
    maxTokens: 1,
  });
  const leased = await measure(
    nats,
    `leases (default: up to ${DEFAULT_LEASE_POLICY.maxTokens}, ${DEFAULT_LEASE_POLICY.ttlMs} ms)`,
    DEFAULT_LEASE_POLICY,
  );
  console.log(
    `${TAKES} takes from one shared bucket, 2 replicas × ${IN_FLIGHT_PER_REPLICA} in flight, nats-server ${nats.url}`,
  );
  for (const f of [baseline, leased]) {
    console.log(
      `${f.label.padEnd(40)} ${f.perSecond.toFixed(0).padStart(9)} takes/s  p50 ${f.p50Ms.toFixed(3)} ms  p99 ${f.p99Ms.toFixed(3)} ms  KV writes ${f.writes}`,
    );
  }
  console.log(
    `ratio leases / CAS per request: ${(leased.perSecond / baseline.perSecond).toFixed(1)}× the throughput`,
  );
} finally {
  await nats[Symbol.asyncDispose]();
}
