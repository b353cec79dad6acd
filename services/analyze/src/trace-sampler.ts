import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { FindingKind, streamNames, TelemetryEventType } from "@patinox/contracts";
import type { FindingOutcome } from "@patinox/detectors";
import type { Logger } from "@patinox/runtime";

/** A telemetry event as far as sampling reads it (the stream holds validated events). */
type EventFields = Readonly<Record<string, unknown>>;

/** Which telemetry events show a finding's problem. */
interface Matcher {
  readonly type: string;
  matches(event: EventFields, finding: FindingOutcome): boolean;
}

const failedRun: Matcher = {
  type: TelemetryEventType.RunCompleted,
  matches: (e) => e.status === "failed",
};

const slowRun = (threshold: (f: FindingOutcome) => number | undefined): Matcher => ({
  type: TelemetryEventType.RunCompleted,
  matches: (e, f) => {
    const ms = threshold(f);
    return ms !== undefined && typeof e.latencyMs === "number" && e.latencyMs >= ms;
  },
});

const toolCall = (status: string): Matcher => ({
  type: TelemetryEventType.ToolCall,
  matches: (e, f) => e.tool === f.target && e.status === status,
});

const MATCHERS: Partial<Record<FindingKind, Matcher>> = {
  [FindingKind.ErrorRateSlo]: failedRun,
  [FindingKind.ErrorRateBaseline]: failedRun,
  [FindingKind.LatencySlo]: slowRun((f) => f.evidence.numbers.slo_p95_latency_ms),
  [FindingKind.LatencyBaseline]: slowRun((f) => f.evidence.numbers.baseline_p95_latency_ms),
  [FindingKind.ToolTimeouts]: toolCall("timeout"),
  [FindingKind.ToolFailures]: toolCall("error"),
  [FindingKind.ValidatorRejections]: {
    type: TelemetryEventType.ValidatorVerdict,
    matches: (e, f) => e.validator === f.target && e.verdict === "reject",
  },
  [FindingKind.FallbackReliance]: {
    type: TelemetryEventType.ModelCall,
    matches: (e) => e.fallback === true,
  },
};

/** Options of {@link TraceSampler}. */
export interface TraceSamplerOptions {
  readonly js: JetStreamClient;
  readonly prefix: string;
  readonly logger: Logger;
  /** Telemetry events read at most per finding. @default 2000 */
  readonly maxScan?: number;
  /** Trace ids kept. @default 5 */
  readonly maxSamples?: number;
}

/**
 * Finds a few trace ids that show a finding's problem — runs that failed, tool calls that timed
 * out, runs slower than the threshold — by reading the telemetry stream from the start of the
 * finding's windows with a short-lived ordered consumer filtered on the event type (one filter
 * subject, so nats-server 2.9 serves it). Reads at most `maxScan` events; any failure (no
 * telemetry stream, a timeout) gives no samples rather than delaying the finding.
 */
export class TraceSampler {
  readonly #js: JetStreamClient;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #maxScan: number;
  readonly #maxSamples: number;

  constructor(options: TraceSamplerOptions) {
    this.#js = options.js;
    this.#prefix = options.prefix;
    this.#logger = options.logger;
    this.#maxScan = options.maxScan ?? 2000;
    this.#maxSamples = options.maxSamples ?? 5;
  }

  /** Up to `maxSamples` distinct trace ids, oldest first; none for kinds without events. */
  async sample(finding: FindingOutcome): Promise<string[]> {
    const matcher = MATCHERS[finding.kind];
    const from = finding.evidence.windows[0];
    if (matcher === undefined || from === undefined) return [];
    const found = new Set<string>();
    try {
      const consumer = await this.#js.consumers.get(streamNames(this.#prefix).telemetry, {
        filter_subjects: `${this.#prefix}.telemetry.*.${matcher.type}`,
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(from).toISOString(),
      });
      try {
        const messages = await consumer.fetch({ max_messages: this.#maxScan, expires: 1_000 });
        for await (const message of messages) {
          const event = message.json<EventFields>();
          if (
            event.agent === finding.agent &&
            typeof event.traceId === "string" &&
            matcher.matches(event, finding)
          ) {
            found.add(event.traceId);
          }
          if (found.size >= this.#maxSamples) {
            messages.stop();
            break;
          }
        }
      } finally {
        await consumer.delete().catch(() => undefined);
      }
    } catch (error) {
      this.#logger.debug(
        { agent: finding.agent, kind: finding.kind, err: error },
        "no trace samples",
      );
    }
    return [...found];
  }
}
