/**
 * `pnpm bench:model-http`: what one model call costs the caller through the `openai` package on
 * its default `fetch` (the baseline) and on Execute's `ModelHttpClient` (undici's `request`),
 * in the same process, in alternating rounds against the same simulated model server (its own
 * process). Prints CPU per call and calls per second of each round, the medians and the ratios,
 * and the heap a call in flight holds (after a full GC, with calls held on a slow model).
 *
 *   pnpm bench:model-http [rounds=5] [calls=10000] [inFlight=64]
 *
 * The memory figure needs a full GC on demand: the script exposes `gc` itself (V8 flags).
 */

import { mkdtemp } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { modelServerEntry } from "@patinox/testkit";
import OpenAI from "openai";
import { ModelHttpClient } from "../src/model-http.ts";
import { positiveInt } from "./bench-options.ts";
import { BenchProcess, logPath, ProcessGroup } from "./bench-process.ts";
import { median } from "./latency-summary.ts";

const [roundsArg, callsArg, inFlightArg] = process.argv.slice(2);
const ROUNDS = positiveInt("rounds", roundsArg, 5);
const CALLS = positiveInt("calls", callsArg, 10_000);
const IN_FLIGHT = positiveInt("inFlight", inFlightArg, 64);
const HELD_CALLS = 1_000;
const HOLD_MS = 3_000;
const MODEL = "simulated-small";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

type Transport = "fetch" | "undici";
const TRANSPORTS: readonly Transport[] = ["fetch", "undici"];

const dir = await mkdtemp(join(tmpdir(), "patinox-bench-model-http-"));
await using stack = new ProcessGroup();
async function modelServer(name: string, latencyMs: number): Promise<string> {
  const server = stack.use(
    BenchProcess.start({
      name,
      entry: modelServerEntry,
      env: { PATINOX_MODEL_PORT: "", PATINOX_MODEL_LATENCY_MS: String(latencyMs) },
      logFile: logPath(dir, name),
    }),
  );
  const line = await server.waitForLine((l) => l.startsWith('{"baseURL"'));
  return (JSON.parse(line) as { baseURL: string }).baseURL;
}
const instantURL = await modelServer("model-instant", 0);
const holdURL = await modelServer("model-hold", HOLD_MS);

const http = new ModelHttpClient();
function clientFor(transport: Transport, baseURL: string): OpenAI {
  return new OpenAI({
    baseURL,
    apiKey: "sk-bench-0000000000000000",
    maxRetries: 0,
    ...(transport === "undici" ? { fetch: http.fetch } : {}),
  });
}
const request = {
  model: MODEL,
  messages: [
    { role: "system" as const, content: "You answer questions about orders. Be brief." },
    { role: "user" as const, content: "Where is order 1001? It was due yesterday." },
  ],
};

/** `calls` completions, `inFlight` at a time; CPU µs per call and calls per second. */
async function round(client: OpenAI, calls: number): Promise<{ cpuUs: number; perSecond: number }> {
  let left = calls;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) {
        const completion = await client.chat.completions.create(request);
        if (!completion.choices[0]?.message.content) throw new Error("empty completion");
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  return { cpuUs: (used.user + used.system) / calls, perSecond: calls / seconds };
}

/** Heap (heapUsed + external) after a full GC with `HELD_CALLS` calls waiting, per call, in KB. */
async function heldKbPerCall(client: OpenAI): Promise<number> {
  await client.chat.completions.create(request);
  gc();
  const idle = process.memoryUsage();
  const held = Promise.all(
    Array.from({ length: HELD_CALLS }, () => client.chat.completions.create(request)),
  );
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS * 0.7));
  gc();
  const busy = process.memoryUsage();
  await held;
  return (busy.heapUsed + busy.external - idle.heapUsed - idle.external) / HELD_CALLS / 1000;
}

process.stderr.write(
  `[bench] ${ROUNDS} rounds of ${CALLS} calls, ${IN_FLIGHT} in flight; load average ${loadavg()[0]?.toFixed(1)}\n`,
);
const clients = {
  fetch: clientFor("fetch", instantURL),
  undici: clientFor("undici", instantURL),
};
for (const transport of TRANSPORTS) await round(clients[transport], Math.min(CALLS, 2_000));
const results: Record<Transport, { cpuUs: number; perSecond: number }[]> = {
  fetch: [],
  undici: [],
};
for (let r = 0; r < ROUNDS; r++) {
  for (const transport of r % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse()) {
    const result = await round(clients[transport], CALLS);
    results[transport].push(result);
    process.stderr.write(
      `[bench] round ${r + 1} ${transport.padEnd(6)} ${result.cpuUs.toFixed(0)} µs CPU per call, ${result.perSecond.toFixed(0)} calls/s\n`,
    );
  }
}
const heldKb: Record<Transport, number> = {
  fetch: await heldKbPerCall(clientFor("fetch", holdURL)),
  undici: await heldKbPerCall(clientFor("undici", holdURL)),
};

const cpu = (t: Transport) => median(results[t].map((r) => r.cpuUs));
const rate = (t: Transport) => median(results[t].map((r) => r.perSecond));
const lines = [
  `model calls through the openai package · ${new Date().toISOString()} · Node ${process.version} · load average ${loadavg()[0]?.toFixed(1)} at end`,
  `${ROUNDS} alternating rounds of ${CALLS} calls, ${IN_FLIGHT} in flight (medians); heap with ${HELD_CALLS} calls held`,
  "",
  "transport                     CPU µs/call   calls/s   heap KB per held call",
  ...TRANSPORTS.map(
    (t) =>
      `${(t === "fetch" ? "fetch (openai's default)" : "undici (ModelHttpClient)").padEnd(28)} ${cpu(t).toFixed(0).padStart(12)} ${rate(t).toFixed(0).padStart(9)} ${heldKb[t].toFixed(1).padStart(23)}`,
  ),
  "",
  `ModelHttpClient / fetch: CPU per call ${(cpu("undici") / cpu("fetch")).toFixed(2)}, calls/s ${(rate("undici") / rate("fetch")).toFixed(2)}, heap per held call ${(heldKb.undici / heldKb.fetch).toFixed(2)}`,
];
process.stdout.write(`${lines.join("\n")}\n`);
await http.close();
