import { parseArgs } from "node:util";

/** What one `pnpm bench:execute` run measures. */
export interface BenchOptions {
  /** Requests per side in scenario (a), the model answering at once. */
  readonly instantRequests: number;
  /** Requests in flight in scenario (a). */
  readonly instantInFlight: number;
  /** Requests per side in scenario (b), the slow model. */
  readonly slowRequests: number;
  /** Requests in flight in scenario (b). */
  readonly slowInFlight: number;
  /** The slow model's fixed latency, in milliseconds. */
  readonly modelLatencyMs: number;
  /**
   * The latency of the model used to hold `slowInFlight` runs in flight with almost no traffic,
   * for the memory figure without the garbage of a busy process, in milliseconds.
   */
  readonly holdMs: number;
  /** Write V8 CPU profiles of Execute and the baseline (`--cpu-prof`) into this run's folder. */
  readonly profile: boolean;
  /** Also write the figures as JSON to this file. */
  readonly jsonFile: string | undefined;
  /**
   * The baseline's HTTP transport for the model calls: `fetch`, the `openai` package's default
   * (the baseline), or `undici`, Execute's own `ModelHttpClient`, to measure what
   * Patinox's layers cost on the same transport.
   */
  readonly baselineHttp: BaselineHttp;
}

/** The HTTP transports the baseline can call the model with. */
export const BASELINE_HTTP = ["fetch", "undici"] as const;
export type BaselineHttp = (typeof BASELINE_HTTP)[number];

/** The usage text of `--help`. */
export const USAGE = `pnpm bench:execute [options]   (each option also reads an environment variable)

  --instant-requests N     (a) requests per side, model answering at once   BENCH_INSTANT_REQUESTS  default 10000
  --instant-in-flight N    (a) requests in flight                            BENCH_INSTANT_IN_FLIGHT default 64
  --slow-requests N        (b) requests per side, slow model                 BENCH_SLOW_REQUESTS     default 10000
  --in-flight N            (b) requests in flight                            BENCH_IN_FLIGHT         default 1000
  --model-latency MS       (b) the slow model's latency                      BENCH_MODEL_LATENCY_MS  default 250
  --hold-ms MS             memory held by in-flight runs: model latency     BENCH_HOLD_MS           default 4000
  --profile                CPU profiles (node --cpu-prof) of both servers    BENCH_PROFILE=1
  --json FILE              also write the figures as JSON                    BENCH_JSON
  --baseline-http fetch|undici   the baseline's model transport: the openai    BENCH_BASELINE_HTTP     default fetch
                           package's default fetch (the issue's baseline), or Execute's own
                           (undici's request), to see what Patinox costs on the same transport

  BENCH_EXECUTE_MAIN=<path to another checkout's services/execute/src/main.ts> measures that
  Execute instead, to compare a change. Other variables (LOG_LEVEL, …) reach Execute as set.
`;

/** `raw` as a positive integer, `fallback` when unset or blank; throws naming `name`. */
export function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** Reads flags first, then `BENCH_*` variables (blank means unset), then the defaults. */
export function parseBenchOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): BenchOptions | "help" {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "instant-requests": { type: "string" },
      "instant-in-flight": { type: "string" },
      "slow-requests": { type: "string" },
      "in-flight": { type: "string" },
      "model-latency": { type: "string" },
      "hold-ms": { type: "string" },
      profile: { type: "boolean" },
      json: { type: "string" },
      "baseline-http": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const json = values.json ?? env.BENCH_JSON;
  const baselineHttp = (values["baseline-http"] ?? env.BENCH_BASELINE_HTTP)?.trim() || "fetch";
  if (!(BASELINE_HTTP as readonly string[]).includes(baselineHttp)) {
    throw new Error(
      `--baseline-http must be one of ${BASELINE_HTTP.join(", ")}, got "${baselineHttp}"`,
    );
  }
  return {
    instantRequests: positiveInt(
      "--instant-requests",
      values["instant-requests"] ?? env.BENCH_INSTANT_REQUESTS,
      10_000,
    ),
    instantInFlight: positiveInt(
      "--instant-in-flight",
      values["instant-in-flight"] ?? env.BENCH_INSTANT_IN_FLIGHT,
      64,
    ),
    slowRequests: positiveInt(
      "--slow-requests",
      values["slow-requests"] ?? env.BENCH_SLOW_REQUESTS,
      10_000,
    ),
    slowInFlight: positiveInt("--in-flight", values["in-flight"] ?? env.BENCH_IN_FLIGHT, 1_000),
    modelLatencyMs: positiveInt(
      "--model-latency",
      values["model-latency"] ?? env.BENCH_MODEL_LATENCY_MS,
      250,
    ),
    holdMs: positiveInt("--hold-ms", values["hold-ms"] ?? env.BENCH_HOLD_MS, 4_000),
    profile: values.profile ?? env.BENCH_PROFILE === "1",
    jsonFile: json?.trim() ? json : undefined,
    baselineHttp: baselineHttp as BaselineHttp,
  };
}
