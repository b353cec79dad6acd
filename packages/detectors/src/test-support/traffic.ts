import type { MetricWindow } from "@patinox/contracts";
import { MetricWindow as MetricWindowSchema } from "@patinox/contracts";
import { emptyHistogram, recordValues } from "@patinox/histogram";

/** A seeded pseudo-random source (mulberry32): the same seed gives the same traffic. */
export class SeededRandom {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [1 − spread, 1 + spread]. */
  jitter(spread: number): number {
    return 1 - spread + 2 * spread * this.next();
  }
  /** A standard normal draw (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  /** A Poisson draw (Knuth below 50, the normal approximation above). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
  /** A binomial draw. */
  binomial(n: number, p: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) if (this.next() < p) k++;
    return k;
  }
}

/** One tool's behaviour. */
export interface ToolBehaviour {
  readonly callsPerRun: number;
  readonly errorRate: number;
  readonly timeoutRate: number;
}

/** The traffic of one agent during one window, as rates; the generator draws the counts. */
export interface TrafficProfile {
  /** Mean runs per window (Poisson). */
  readonly runsPerWindow: number;
  /** Each window's mean is scaled by U(1 ± volumeJitter): load that rises and falls. @default 0.3 */
  readonly volumeJitter?: number;
  readonly errorRate: number;
  /** Each window's error rate is scaled by U(1 ± errorJitter): overdispersion. @default 0.3 */
  readonly errorJitter?: number;
  /** Median latency of a run, ms (lognormal). */
  readonly latencyMedianMs: number;
  /** σ of log latency. @default 0.6 */
  readonly latencySigma?: number;
  /** Each window's median is scaled by U(1 ± latencyJitter). @default 0.1 */
  readonly latencyJitter?: number;
  readonly tools?: Readonly<Record<string, ToolBehaviour>>;
  /** Rejections per run by validator. */
  readonly validators?: Readonly<Record<string, number>>;
  /** Model calls per run. @default 2 */
  readonly modelCallsPerRun?: number;
  /** Share of model calls on a fallback model. @default 0.03 */
  readonly fallbackShare?: number;
  /** Mean breaker openings per window (Poisson). @default 0.05 */
  readonly breakerOpensPerWindow?: number;
  /** Tokens per run. @default 1000 */
  readonly tokensPerRun?: number;
}

/** Options of {@link generateWindows}. */
export interface GenerateOptions {
  readonly agent?: string;
  /** Start of the first window, epoch ms. @default 1_700_000_000_000 */
  readonly start?: number;
  /** @default 60_000 */
  readonly windowMs?: number;
  readonly windows: number;
  readonly seed: number;
}

/**
 * Draws `windows` consecutive metric windows of one agent, each from `profile(i)`: realistic
 * noise (Poisson volume, jittered rates and latency, lognormal latency), reproducible by seed.
 */
export function generateWindows(
  profile: (windowIndex: number) => TrafficProfile,
  options: GenerateOptions,
): MetricWindow[] {
  const random = new SeededRandom(options.seed);
  const agent = options.agent ?? "support";
  const start = options.start ?? 1_700_000_000_000;
  const windowMs = options.windowMs ?? 60_000;
  const out: MetricWindow[] = [];
  for (let i = 0; i < options.windows; i++) {
    const p = profile(i);
    const runs = random.poisson(p.runsPerWindow * random.jitter(p.volumeJitter ?? 0.3));
    const errorRate = Math.min(1, p.errorRate * random.jitter(p.errorJitter ?? 0.3));
    const failed = random.binomial(runs, errorRate);
    const median = p.latencyMedianMs * random.jitter(p.latencyJitter ?? 0.1);
    const sigma = p.latencySigma ?? 0.6;
    const latencies: number[] = [];
    for (let r = 0; r < runs; r++) latencies.push(median * Math.exp(sigma * random.normal()));
    const tools: Record<
      string,
      { calls: number; errors: number; timeouts: number; invalidArgs: number }
    > = {};
    for (const [name, t] of Object.entries(p.tools ?? {})) {
      const calls = random.poisson(runs * t.callsPerRun);
      const timeouts = random.binomial(calls, t.timeoutRate);
      const errors = random.binomial(
        calls - timeouts,
        t.errorRate / Math.max(1e-9, 1 - t.timeoutRate),
      );
      if (calls > 0) tools[name] = { calls, errors, timeouts, invalidArgs: 0 };
    }
    const rejectedByValidator: Record<string, number> = {};
    for (const [name, rate] of Object.entries(p.validators ?? {})) {
      const n = random.binomial(runs, rate);
      if (n > 0) rejectedByValidator[name] = n;
    }
    const modelCalls = random.poisson(runs * (p.modelCallsPerRun ?? 2));
    const fallbacks = random.binomial(modelCalls, p.fallbackShare ?? 0.03);
    const tokens = Math.round(runs * (p.tokensPerRun ?? 1000) * random.jitter(0.2));
    out.push(
      MetricWindowSchema.parse({
        v: 1,
        agent,
        windowStart: start + i * windowMs,
        windowMs,
        runs,
        ok: runs - failed,
        failedByCode: failed > 0 ? { model_failure: failed } : {},
        rejectedByValidator,
        latency: recordValues(emptyHistogram(), latencies),
        tokens: { input: Math.round(tokens * 0.7), output: tokens - Math.round(tokens * 0.7) },
        costUsd: tokens * 1e-6,
        models:
          modelCalls > 0 ? { "gpt-4o-mini": { calls: modelCalls, errors: 0, timeouts: 0 } } : {},
        fallbacks,
        tools,
        breakerOpens: random.poisson(p.breakerOpensPerWindow ?? 0.05),
        versions: runs > 0 ? { "1": runs } : {},
      }),
    );
  }
  return out.filter((w) => w.runs > 0 || w.breakerOpens > 0);
}

/**
 * A healthy agent: ~120 runs a minute, 2% errors against a 5% SLO, p95 ≈ 2.2 s against 5 s,
 * tools failing 2–3% and timing out 0.5–1%, 3% fallbacks.
 */
export const HEALTHY: TrafficProfile = {
  runsPerWindow: 120,
  errorRate: 0.02,
  latencyMedianMs: 800,
  tools: {
    search: { callsPerRun: 1.5, errorRate: 0.02, timeoutRate: 0.01 },
    fetch_page: { callsPerRun: 0.5, errorRate: 0.03, timeoutRate: 0.005 },
  },
  validators: { output_max_length: 0.03, pii_redaction: 0.01 },
  modelCallsPerRun: 2,
  fallbackShare: 0.03,
  // About one breaker opening every 100 minutes: a model that hiccups now and then.
  breakerOpensPerWindow: 0.01,
};

/** The SLO the healthy profile is held to. */
export const SLO = { errorRate: 0.05, p95LatencyMs: 5000 } as const;
