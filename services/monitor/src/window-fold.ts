import type {
  BreakerStateEvent,
  MetricWindow,
  ModelCallEvent,
  RunCompletedEvent,
  TelemetryEvent,
  ToolCallEvent,
  ValidatorVerdictEvent,
} from "@patinox/contracts";
import { recordValues } from "@patinox/histogram";

/**
 * Where `breaker.state` events without an agent are counted. A breaker belongs to a provider's
 * model, not to an agent; Execute names the agent whose call made the transition, and the
 * opening is counted in that agent's window. An event that names no agent (an older Execute)
 * is folded into the windows of this reserved agent name (`metrics._breakers.<windowStart>`).
 */
export const BREAKER_WINDOW_AGENT = "_breakers";

/** A telemetry event with the stream sequence it was stored at. */
export interface SequencedEvent {
  readonly seq: number;
  readonly event: TelemetryEvent;
}

/** Which window an event belongs to. */
export interface WindowAddress {
  readonly agent: string;
  readonly windowStart: number;
}

/**
 * The window an event is counted in: its agent (or {@link BREAKER_WINDOW_AGENT}) and the start
 * of the `windowMs`-long window holding its time `at` (event time, not arrival time, so a late
 * event lands in its own window). `undefined` for events no window counts (`definition.invalid`).
 */
export function windowOf(event: TelemetryEvent, windowMs: number): WindowAddress | undefined {
  const at = Date.parse(event.at);
  const windowStart = Math.floor(at / windowMs) * windowMs;
  switch (event.type) {
    case "breaker.state":
      return { agent: event.agent ?? BREAKER_WINDOW_AGENT, windowStart };
    case "definition.invalid":
      return undefined;
    default:
      return { agent: event.agent, windowStart };
  }
}

/** An empty window record. */
export function emptyWindow(address: WindowAddress, windowMs: number): MetricWindow {
  return {
    v: 1,
    agent: address.agent,
    windowStart: address.windowStart,
    windowMs,
    runs: 0,
    ok: 0,
    maxSteps: 0,
    failedByCode: {},
    rejectedByValidator: {},
    latency: { schema: "loglinear-v1", buckets: {}, count: 0, sum: 0, min: 0, max: 0 },
    tokens: { input: 0, output: 0 },
    costUsd: 0,
    models: {},
    fallbacks: 0,
    tools: {},
    breakerOpens: 0,
    versions: {},
    highWater: {},
  };
}

/**
 * Folds `events` into `window`, exactly once: an event whose sequence is at or below the
 * window's high-water mark for `source` (the stream) is already counted and is skipped, as is
 * a second copy of a sequence within `events`. Returns the new window, or `undefined` when no
 * event was new (nothing to write). Pure: `window` is not changed, and the result does not
 * depend on the order of `events`.
 *
 * The high-water rule is sound only when the events of a window are folded in sequence order
 * across calls; the intake guarantees that (see docs/monitor.md).
 */
export function foldEvents(
  window: MetricWindow,
  events: readonly SequencedEvent[],
  source: string,
): MetricWindow | undefined {
  const floor = window.highWater[source] ?? 0;
  // In sequence order: floating-point sums (cost) then come out the same however the events
  // arrived or were split into batches; and a second copy of a sequence sits next to the first.
  const ordered = events.filter((e) => e.seq > floor).sort((a, b) => a.seq - b.seq);
  if (ordered.length === 0) return undefined;

  const next = copyForFold(window);
  const latencies: number[] = [];
  let previous = floor;
  for (const { seq, event } of ordered) {
    if (seq === previous) continue; // a duplicate within `events`
    previous = seq;
    switch (event.type) {
      case "run.completed":
        foldRun(next, event, latencies);
        break;
      case "model.call":
        foldModelCall(next, event);
        break;
      case "tool.call":
        foldToolCall(next, event);
        break;
      case "validator.verdict":
        foldVerdict(next, event);
        break;
      case "breaker.state":
        foldBreaker(next, event);
        break;
      case "definition.invalid":
        break; // no window counts it; it is acked and kept in the stream for inspection
    }
  }
  if (latencies.length > 0) next.latency = recordValues(next.latency, latencies);
  next.highWater = { ...next.highWater, [source]: previous };
  return next;
}

/**
 * A copy of `window` deep enough for the fold functions below to change: every counter map
 * and counter object they write to is new; the latency histogram is replaced, not changed
 * (`recordValues` copies its buckets). Cheaper than `structuredClone` of the whole record,
 * which was the larger part of a fold; a property test folds deep-frozen windows, so a fold
 * function that writes somewhere this does not copy fails it.
 */
function copyForFold(window: MetricWindow): MetricWindow {
  return {
    ...window,
    failedByCode: dictionary(window.failedByCode),
    rejectedByValidator: dictionary(window.rejectedByValidator),
    tokens: { ...window.tokens },
    models: copyCounters(window.models),
    tools: copyCounters(window.tools),
    versions: dictionary(window.versions),
    highWater: { ...window.highWater },
  };
}

/**
 * A copy of a map keyed by names from events, without a prototype: a model or validator named
 * `constructor` or `toString` is then just a key, and one named `__proto__` cannot reach
 * `Object.prototype` (it did: its counters were Object.prototype's).
 */
function dictionary<V>(source: Record<string, V>): Record<string, V> {
  return Object.assign(Object.create(null) as Record<string, V>, source);
}

function copyCounters<C extends object>(counters: Record<string, C>): Record<string, C> {
  const copy = dictionary<C>({});
  for (const [key, value] of Object.entries(counters)) copy[key] = { ...value };
  return copy;
}

/**
 * Whether a name from an event can key a counter. `__proto__` cannot: the window record's
 * schema drops that key when the window is read back, so its count would be lost on the next
 * read; the event still counts in every total.
 */
function countable(key: string): boolean {
  return key !== "__proto__";
}

function increment(map: Record<string, number>, key: string, by = 1): void {
  if (countable(key)) map[key] = (map[key] ?? 0) + by;
}

function foldRun(w: MetricWindow, e: RunCompletedEvent, latencies: number[]): void {
  w.runs += 1;
  if (e.status === "completed") w.ok += 1;
  else if (e.status === "max_steps") w.maxSteps += 1;
  else
    increment(w.failedByCode, e.errorCode ?? (e.status === "cancelled" ? "cancelled" : "internal"));
  latencies.push(e.latencyMs);
  w.tokens.input += e.inputTokens;
  w.tokens.output += e.outputTokens;
  // Rounded to a micro-dollar so sums do not drift with the order of floating-point additions.
  w.costUsd = Math.round((w.costUsd + e.costUsd) * 1e6) / 1e6;
  increment(w.versions, String(e.agentVersion));
}

function foldModelCall(w: MetricWindow, e: ModelCallEvent): void {
  if (e.fallback) w.fallbacks += 1;
  if (!countable(e.model)) return;
  const counters = w.models[e.model] ?? { calls: 0, errors: 0, timeouts: 0 };
  w.models[e.model] = counters;
  counters.calls += 1;
  if (e.status === "timeout") counters.timeouts += 1;
  else if (e.status !== "ok") counters.errors += 1; // error and rate_limited
}

function foldToolCall(w: MetricWindow, e: ToolCallEvent): void {
  if (!countable(e.tool)) return;
  const counters = w.tools[e.tool] ?? { calls: 0, errors: 0, timeouts: 0, invalidArgs: 0 };
  w.tools[e.tool] = counters;
  counters.calls += 1;
  if (e.status === "error") counters.errors += 1;
  else if (e.status === "timeout") counters.timeouts += 1;
  else if (e.status === "invalid_args") counters.invalidArgs += 1;
}

function foldVerdict(w: MetricWindow, e: ValidatorVerdictEvent): void {
  // Every rejection, at any stage; a run it ended is also counted under
  // failedByCode.validation_rejected by its run.completed event.
  if (e.verdict === "reject") increment(w.rejectedByValidator, e.validator);
}

function foldBreaker(w: MetricWindow, e: BreakerStateEvent): void {
  if (e.state === "open") w.breakerOpens += 1;
}
