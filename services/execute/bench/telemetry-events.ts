/**
 * CPU per run of building and encoding a run's telemetry (one `model.call`, one `run.completed`,
 * their spans) in-process, without NATS: the part of a run's cost that is Execute's own code,
 * measured without the noise of other processes on a shared machine.
 *
 *   node --conditions=@patinox/source --import tsx services/execute/bench/telemetry-events.ts
 *
 * No tracing SDK (as deployed without an exporter): spans are the API's no-ops.
 */
import { trace } from "@opentelemetry/api";
import { encode, type TelemetryEvent } from "@patinox/contracts";
import type { ModelAttempt } from "../src/model-chain.ts";
import type { ModelTarget } from "../src/model-providers.ts";
import type { TelemetryPublisher } from "../src/telemetry/publisher.ts";
import { ExecuteTelemetry } from "../src/telemetry/run-telemetry.ts";

let encodedBytes = 0;
/** Encodes each event as the publisher would, and keeps nothing. */
const publisher = {
  publish: (event: TelemetryEvent) => {
    encodedBytes += encode(event).length;
  },
} as unknown as TelemetryPublisher;
const telemetry = new ExecuteTelemetry({
  publisher,
  tracer: trace.getTracer("bench"),
  service: "execute",
});
const output = "Order 1001 shipped yesterday.";
const completion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "simulated-small",
  choices: [
    {
      index: 0,
      finish_reason: "stop",
      message: { role: "assistant", content: output, refusal: null },
      logprobs: null,
    },
  ],
  usage: { prompt_tokens: 30, completion_tokens: 8, total_tokens: 38 },
} as unknown as NonNullable<ModelAttempt["completion"]>;
const target = { model: "simulated-small", provider: { name: "openai" } } as ModelTarget;

function oneRun(i: number): void {
  const runId = `run-${i}`;
  const run = telemetry.startRun({
    agent: "bench-instant",
    runId,
    headers: undefined,
    contentSampleRate: 0,
  });
  const now = performance.now();
  run.modelAttempt(
    { target, fallback: false, attempt: 1, startedAt: now - 2, endedAt: now, completion },
    0.00001,
  );
  run.completed({
    reply: {
      v: 1,
      runId,
      agent: "bench-instant",
      status: "completed",
      output,
      usage: { inputTokens: 30, outputTokens: 8, costUsd: 0.00001 },
      steps: 1,
      agentVersion: 1,
      durationMs: 3,
    },
    input: "Where is order 1001? It was due yesterday.",
  });
}

for (let i = 0; i < 50_000; i++) oneRun(i);
const runs = 100_000;
for (let round = 1; round <= 5; round++) {
  const before = process.cpuUsage();
  for (let i = 0; i < runs; i++) oneRun(i);
  const used = process.cpuUsage(before);
  process.stdout.write(
    `round ${round}: ${((used.user + used.system) / runs).toFixed(2)} µs CPU per run (${encodedBytes} bytes encoded so far)\n`,
  );
}
