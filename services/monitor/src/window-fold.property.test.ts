import { MetricWindow, TelemetryEvent } from "@patinox/contracts";
import { quantile } from "@patinox/histogram";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BREAKER_WINDOW_AGENT,
  emptyWindow,
  foldEvents,
  type SequencedEvent,
  windowOf,
} from "./window-fold.ts";

const WINDOW_MS = 10_000;
const START = 1_767_225_600_000; // 2026-01-01T00:00:00Z, a window boundary
const SOURCE = "patinox_telemetry@1";

const at = fc
  .integer({ min: START, max: START + WINDOW_MS - 1 })
  .map((ms) => new Date(ms).toISOString());
const envelope = (type: string) =>
  fc.record({
    v: fc.constant(1 as const),
    id: fc.uuid(),
    at,
    service: fc.constant("execute"),
    agent: fc.constant("support"),
    type: fc.constant(type),
  });
const runCompleted = fc
  .tuple(
    envelope("run.completed"),
    fc.record({
      runId: fc.constantFrom("r1", "r2", "r3"),
      agentVersion: fc.integer({ min: 1, max: 3 }),
      status: fc.constantFrom("completed", "failed", "max_steps", "cancelled"),
      latencyMs: fc.integer({ min: 0, max: 120_000 }),
      inputTokens: fc.integer({ min: 0, max: 5_000 }),
      outputTokens: fc.integer({ min: 0, max: 5_000 }),
      costUsd: fc.double({ min: 0, max: 2, noNaN: true }),
      steps: fc.integer({ min: 0, max: 10 }),
    }),
    fc.constantFrom("model_failure", "tool_failure", "validation_rejected", undefined),
  )
  .map(([e, r, errorCode]) => ({
    ...e,
    ...r,
    ...(r.status === "failed" && errorCode ? { errorCode } : {}),
  }));
const modelCall = fc
  .tuple(
    envelope("model.call"),
    fc.record({
      model: fc.constantFrom("gpt-4.1", "llama3.1:8b"),
      status: fc.constantFrom("ok", "error", "timeout", "rate_limited"),
      latencyMs: fc.integer({ min: 0, max: 60_000 }),
      inputTokens: fc.integer({ min: 0, max: 5_000 }),
      outputTokens: fc.integer({ min: 0, max: 5_000 }),
      fallback: fc.boolean(),
      attempt: fc.integer({ min: 1, max: 3 }),
    }),
  )
  .map(([e, r]) => ({ ...e, ...r }));
const toolCall = fc
  .tuple(
    envelope("tool.call"),
    fc.record({
      tool: fc.constantFrom("search", "weather"),
      status: fc.constantFrom("ok", "error", "timeout", "invalid_args"),
      latencyMs: fc.integer({ min: 0, max: 30_000 }),
      attempt: fc.integer({ min: 1, max: 3 }),
    }),
  )
  .map(([e, r]) => ({ ...e, ...r }));
const verdict = fc
  .tuple(
    envelope("validator.verdict"),
    fc.record({
      validator: fc.constantFrom("deny-patterns", "pii"),
      stage: fc.constantFrom("input", "tool", "output"),
      verdict: fc.constantFrom("approve", "modify", "reject", "retry"),
    }),
  )
  .map(([e, r]) => ({ ...e, ...r }));
const breaker = fc
  .tuple(
    envelope("breaker.state"),
    fc.record({
      provider: fc.constant("openai"),
      model: fc.constant("gpt-4.1"),
      state: fc.constantFrom("open", "closed", "half_open"),
      previous: fc.constantFrom("open", "closed", "half_open"),
    }),
  )
  .map(([{ agent: _agent, ...e }, r]) => ({ ...e, ...r }));

/** Valid agent events (breaker events go to their own window and are tested apart). */
const agentEvent = fc.oneof(
  runCompleted,
  modelCall,
  toolCall,
  verdict,
) as fc.Arbitrary<TelemetryEvent>;

/** Distinct events numbered by stream sequence 1..n. */
const sequenced = fc
  .array(agentEvent, { minLength: 1, maxLength: 60 })
  .map((events): SequencedEvent[] => events.map((event, i) => ({ seq: i + 1, event })));

const base = () => emptyWindow({ agent: "support", windowStart: START }, WINDOW_MS);

describe("foldEvents", () => {
  it("any order and any duplicates within a batch give the same window", () => {
    fc.assert(
      fc.property(
        sequenced.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: 0 }),
            fc.integer({ min: 0, max: 1_000_000 }),
          ),
        ),
        ([events, duplicates, seed]) => {
          const reference = foldEvents(base(), events, SOURCE);
          const noisy = shuffle([...events, ...duplicates, ...duplicates], seed);
          expect(foldEvents(base(), noisy, SOURCE)).toEqual(reference);
        },
      ),
    );
  });

  it("folding in sequence-ordered batches, with redeliveries of earlier events, equals one fold", () => {
    fc.assert(
      fc.property(
        sequenced.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.array(fc.integer({ min: 1, max: events.length }), { maxLength: 6 }),
            fc.array(fc.nat(), { maxLength: 20 }),
            fc.integer({ min: 0, max: 1_000_000 }),
          ),
        ),
        ([events, cuts, replays, seed]) => {
          const reference = foldEvents(base(), events, SOURCE);
          const bounds = [...new Set([0, ...cuts, events.length])].sort((a, b) => a - b);
          let window = base();
          for (let i = 1; i < bounds.length; i++) {
            const chunk = events.slice(bounds[i - 1], bounds[i]);
            // Redeliveries of anything folded before ride along with the new chunk.
            const seen = events.slice(0, bounds[i - 1]);
            const again =
              seen.length === 0 ? [] : replays.map((r) => seen[r % seen.length] as SequencedEvent);
            window = foldEvents(window, shuffle([...chunk, ...again], seed + i), SOURCE) ?? window;
          }
          expect(window).toEqual(reference);
          // Everything again, in any order: nothing new to write.
          expect(foldEvents(window, shuffle(events, seed), SOURCE)).toBeUndefined();
        },
      ),
    );
  });

  it("never changes the window it folds into (deep-frozen input, any events, twice)", () => {
    fc.assert(
      fc.property(sequenced, sequenced, (first, second) => {
        const once = deepFreeze(foldEvents(base(), first, SOURCE) ?? base());
        const snapshot = structuredClone(once);
        const more = second.map((e, i) => ({ ...e, seq: first.length + i + 1 }));
        const twice = foldEvents(once, more, SOURCE);
        expect(once).toEqual(snapshot);
        if (twice !== undefined) expect(MetricWindow.parse(twice)).toEqual(twice);
      }),
    );
  });

  it("the folded window is a valid record whose counters add up", () => {
    fc.assert(
      fc.property(sequenced, (events) => {
        for (const { event } of events) expect(TelemetryEvent.parse(event)).toEqual(event);
        const window = foldEvents(base(), events, SOURCE) as MetricWindow;
        expect(MetricWindow.parse(window)).toEqual(window);
        const runs = events.filter((e) => e.event.type === "run.completed");
        expect(window.runs).toBe(runs.length);
        const failed = Object.values(window.failedByCode).reduce((a, b) => a + b, 0);
        expect(window.ok + window.maxSteps + failed).toBe(window.runs);
        expect(window.latency.count).toBe(runs.length);
        expect(Object.values(window.versions).reduce((a, b) => a + b, 0)).toBe(runs.length);
        const modelCalls = Object.values(window.models).reduce((a, m) => a + m.calls, 0);
        expect(modelCalls).toBe(events.filter((e) => e.event.type === "model.call").length);
        const toolCalls = Object.values(window.tools).reduce((a, t) => a + t.calls, 0);
        expect(toolCalls).toBe(events.filter((e) => e.event.type === "tool.call").length);
        expect(window.highWater[SOURCE]).toBe(events.length);
      }),
    );
  });
});

describe("foldEvents with hostile names and amounts", () => {
  const event = (seq: number, fields: Record<string, unknown>): SequencedEvent => ({
    seq,
    event: TelemetryEvent.parse({
      v: 1,
      id: `e-${seq}`,
      at: new Date(START + seq).toISOString(),
      service: "execute",
      agent: "support",
      ...fields,
    }),
  });
  const call = (seq: number, model: string) =>
    event(seq, {
      type: "model.call",
      model,
      status: "timeout",
      latencyMs: 5,
      inputTokens: 1,
      outputTokens: 1,
      fallback: false,
      attempt: 1,
    });

  it("counts models and tools named like Object.prototype's members, and pollutes nothing", () => {
    const names = ["constructor", "toString", "hasOwnProperty", "__proto__"];
    const events = [
      ...names.map((name, i) => call(i + 1, name)),
      ...names.map((tool, i) =>
        event(i + 10, { type: "tool.call", tool, status: "error", latencyMs: 1, attempt: 1 }),
      ),
    ];
    const window = foldEvents(base(), events, SOURCE) as MetricWindow;
    expect(({} as Record<string, unknown>).calls).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("calls");
    // `__proto__` keys no counter (the record's schema would drop it on read); the rest do.
    const stored = MetricWindow.parse(JSON.parse(JSON.stringify(window)));
    expect(Object.keys(stored.models).sort()).toEqual([
      "constructor",
      "hasOwnProperty",
      "toString",
    ]);
    expect(stored.models.constructor).toEqual({ calls: 1, errors: 0, timeouts: 1 });
    expect(stored.tools.toString).toEqual({ calls: 1, errors: 1, timeouts: 0, invalidArgs: 0 });
    expect(stored.highWater[SOURCE]).toBe(13);
  });

  it("keeps the cost finite at the largest amount an event may carry", () => {
    const run = (seq: number) =>
      event(seq, {
        type: "run.completed",
        runId: `r-${seq}`,
        agentVersion: 1,
        status: "completed",
        latencyMs: 1,
        inputTokens: 1,
        outputTokens: 1,
        costUsd: 1_000_000,
        steps: 1,
      });
    const window = foldEvents(base(), [run(1), run(2), run(3)], SOURCE) as MetricWindow;
    expect(window.costUsd).toBe(3_000_000);
    expect(MetricWindow.safeParse(window).success).toBe(true);
    expect(TelemetryEvent.safeParse({ ...run(4).event, costUsd: 1e303 }).success).toBe(false);
  });
});

describe("windowOf", () => {
  it("puts an event in the window holding its own time, late or not", () => {
    const event = {
      v: 1,
      id: "e1",
      at: new Date(START + 12_345).toISOString(),
      service: "execute",
      type: "tool.call",
      agent: "support",
      tool: "search",
      status: "ok",
      latencyMs: 3,
      attempt: 1,
    } as TelemetryEvent;
    expect(windowOf(event, WINDOW_MS)).toEqual({ agent: "support", windowStart: START + 10_000 });
  });

  it("counts a breaker opening in the window of the agent whose call tripped it", () => {
    const event = {
      v: 1,
      id: "b1",
      at: new Date(START + 1_000).toISOString(),
      service: "execute",
      type: "breaker.state",
      agent: "support",
      provider: "openai",
      model: "gpt-4.1",
      state: "open",
      previous: "closed",
    } as TelemetryEvent;
    const address = windowOf(event, WINDOW_MS);
    expect(address).toEqual({ agent: "support", windowStart: START });
    const window = foldEvents(
      emptyWindow({ agent: "support", windowStart: START }, WINDOW_MS),
      [{ seq: 1, event }],
      SOURCE,
    );
    expect(window?.breakerOpens).toBe(1);
  });

  it("counts breaker openings that name no agent in the reserved breaker window", () => {
    fc.assert(
      fc.property(fc.array(breaker, { minLength: 1, maxLength: 20 }), (events) => {
        const address = windowOf(events[0] as TelemetryEvent, WINDOW_MS);
        expect(address?.agent).toBe(BREAKER_WINDOW_AGENT);
        const window = foldEvents(
          emptyWindow({ agent: BREAKER_WINDOW_AGENT, windowStart: START }, WINDOW_MS),
          events.map((event, i) => ({ seq: i + 1, event: event as TelemetryEvent })),
          SOURCE,
        );
        expect(window?.breakerOpens).toBe(events.filter((e) => e.state === "open").length);
      }),
    );
  });
});

describe("latency", () => {
  it("the window's p95 is within 2% of the runs' exact p95", () => {
    fc.assert(
      fc.property(sequenced, (events) => {
        const window = foldEvents(base(), events, SOURCE) as MetricWindow;
        const latencies = events
          .flatMap((e) => (e.event.type === "run.completed" ? [e.event.latencyMs] : []))
          .sort((a, b) => a - b);
        if (latencies.length === 0) return;
        const exact = latencies[Math.floor(0.95 * (latencies.length - 1))] as number;
        expect(Math.abs((quantile(window.latency, 0.95) as number) - exact)).toBeLessThanOrEqual(
          0.02 * exact,
        );
      }),
    );
  });
});

/** A deterministic shuffle (fast-check shrinks the seed). */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Freezes `value` and everything in it: writing to it then throws (ES modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
