import type { ModelRef, Usage } from "@patinox/contracts";

/** Counters of what happened in a run, for logs now and telemetry later. */
export interface RunStats {
  /** Tool calls made (each counted once, whatever its retries). */
  toolCalls: number;
  /** Tool calls whose failure went back to the model as the tool result. */
  toolFailures: number;
  /** Extra attempts after a tool timed out or had no responder. */
  toolRetries: number;
  /** Tool calls refused before calling: unknown tool, arguments not JSON or not matching the schema. */
  invalidToolCalls: number;
  /** Tool calls a tool-stage validator sent back to the model. */
  toolCallsSentBack: number;
  /** Outputs an output validator sent back to the model for another attempt. */
  outputRetries: number;
  /** Model calls answered by a fallback rather than the agent's own model. */
  fallbacks: number;
}

/**
 * What a run has done so far. The loop writes to it as it goes, so when the run ends early
 * (deadline, cancellation, an error) the reply still has the steps, usage and partial output.
 */
export class RunProgress {
  /** Model calls that answered. */
  steps = 0;
  inputTokens = 0;
  outputTokens = 0;
  costUsd = 0;
  /** The last text the model wrote: the partial output when the run stops early. */
  lastText: string | undefined;
  /** The model that answered the last call. */
  model: ModelRef | undefined;
  readonly stats: RunStats = {
    toolCalls: 0,
    toolFailures: 0,
    toolRetries: 0,
    invalidToolCalls: 0,
    toolCallsSentBack: 0,
    outputRetries: 0,
    fallbacks: 0,
  };

  /** Counts one answered model call. */
  recordModelCall(call: {
    readonly model: ModelRef;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly costUsd: number;
    readonly fallback: boolean;
  }): void {
    this.steps++;
    this.inputTokens += call.inputTokens;
    this.outputTokens += call.outputTokens;
    this.costUsd += call.costUsd;
    this.model = call.model;
    if (call.fallback) this.stats.fallbacks++;
  }

  /** Tokens and cost so far, as the reply carries them. */
  usage(): Usage {
    return {
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      // Floating-point sums of tiny prices: round to a nano-dollar so replies read cleanly.
      costUsd: Math.round(this.costUsd * 1e9) / 1e9,
    };
  }
}
