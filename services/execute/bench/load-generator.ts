/**
 * The load generator, in its own process (forked by the bench with an IPC channel) so its CPU
 * and allocations count against neither Execute nor the baseline. Each phase is a closed loop:
 * `inFlight` requests outstanding, each reply sending the next, until `requests` were sent.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { quantile } from "./latency-summary.ts";
import type { LoadMessage, LoadPhase, LoadResult } from "./load-protocol.ts";

const natsUrl = process.env.BENCH_NATS_URL;
if (natsUrl === undefined || process.send === undefined) {
  throw new Error("the load generator is forked by execute.bench.ts (BENCH_NATS_URL, IPC)");
}
const nc = await connect({ servers: natsUrl, name: "bench-load" });
send({ kind: "ready" });

process.on("message", (message: LoadPhase | { kind: "exit" }) => {
  if (message.kind === "exit") {
    void nc.close().then(() => process.disconnect());
    return;
  }
  runPhase(nc, message).then(send, (error: unknown) =>
    send({ kind: "failed", message: error instanceof Error ? error.message : String(error) }),
  );
});

function send(message: LoadMessage): void {
  process.send?.(message);
}

/** Why a reply does not count as a completed run, or `undefined` when it does. */
function replyProblem(data: Uint8Array): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return "reply is not JSON";
  }
  if (typeof body === "object" && body !== null && "status" in body) {
    if (body.status === "completed") return undefined;
    return `status ${String(body.status)}: ${JSON.stringify(body).slice(0, 200)}`;
  }
  return `not a run reply: ${JSON.stringify(body).slice(0, 200)}`;
}

async function runPhase(connection: NatsConnection, phase: LoadPhase): Promise<LoadResult> {
  const payload = new TextEncoder().encode(phase.body);
  const latencies = new Float64Array(phase.requests);
  const failureSamples: string[] = [];
  let failures = 0;
  let sent = 0;
  // Only completed runs count towards throughput.
  let completed = 0;
  let completedAtLastSend = 0;
  let lastSendAt = 0;
  const startedAt = performance.now();

  const fail = (why: string) => {
    failures++;
    if (failureSamples.length < 3) failureSamples.push(why);
  };

  const worker = async () => {
    while (sent < phase.requests) {
      const index = sent++;
      const sentAt = performance.now();
      if (sent === phase.requests) {
        lastSendAt = sentAt;
        completedAtLastSend = completed;
      }
      try {
        const reply = await connection.request(phase.subject, payload, {
          timeout: phase.timeoutMs,
        });
        const problem = replyProblem(reply.data);
        if (problem === undefined) completed++;
        else fail(problem);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
      latencies[index] = performance.now() - sentAt;
    }
  };
  await Promise.all(Array.from({ length: Math.min(phase.inFlight, phase.requests) }, worker));
  const elapsedMs = performance.now() - startedAt;
  const fullLoadMs = lastSendAt - startedAt;
  latencies.sort();
  return {
    kind: "result",
    requests: phase.requests,
    inFlight: phase.inFlight,
    failures,
    failureSamples,
    elapsedMs,
    // With fewer requests than in flight there is no full-load period: fall back to the whole run.
    throughput:
      completedAtLastSend > 0
        ? (completedAtLastSend * 1000) / fullLoadMs
        : (completed * 1000) / elapsedMs,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: quantile(latencies, 1),
  };
}
