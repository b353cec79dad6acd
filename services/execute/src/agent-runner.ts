import { randomUUID } from "node:crypto";
import {
  type ModelRef,
  PatinoxError,
  type RunReply,
  type RunRequest,
  type RunStatus,
  toPatinoxError,
} from "@patinox/contracts";
import type { Logger } from "@patinox/runtime";
import { inputView, passed, type RunInput, validationRejected } from "@patinox/validation";
import { abortableSleep } from "./abortable-sleep.ts";
import type { AgentDefinitions } from "./agent-definitions.ts";
import { type LoopOutcome, runAgentLoop } from "./agent-loop.ts";
import type { AgentSnapshot } from "./agent-snapshot.ts";
import type { AgentGates, GateRelease } from "./concurrency-gate.ts";
import type { ModelProviders, ModelTarget } from "./model-providers.ts";
import type { PriceTable } from "./price-table.ts";
import { RunAbort } from "./run-abort.ts";
import { RunProgress } from "./run-progress.ts";
import type { RunsInFlight } from "./runs-in-flight.ts";
import type { ToolCaller } from "./tool-invocation.ts";

/** What the runner is built from: one of each per process. */
export interface AgentRunnerOptions {
  readonly definitions: AgentDefinitions;
  readonly providers: ModelProviders;
  readonly prices: PriceTable;
  readonly gates: AgentGates;
  readonly runs: RunsInFlight;
  readonly callTool: ToolCaller;
  readonly logger: Logger;
}

/**
 * Runs one request for one agent, from the snapshot to the reply. What stops a run before it
 * starts (unknown agent, invalid configuration, input too large or rejected, overloaded) is
 * thrown, and the endpoint answers it as an `ErrorReply`; once the run has started, every
 * outcome (failures included) is a `RunReply` with the steps, usage and agent version.
 */
export class AgentRunner {
  readonly #options: AgentRunnerOptions;

  constructor(options: AgentRunnerOptions) {
    this.#options = options;
  }

  /** Runs `request` on `agent`; `shutdown` aborts when the service stops past its deadline. */
  async run(agent: string, request: RunRequest, shutdown: AbortSignal): Promise<RunReply> {
    const received = performance.now();
    const { snapshot, models, input } = await this.#admit(agent, request);
    const { gates, runs } = this.#options;
    const { limits } = snapshot.definition;
    const runId = request.runId ?? randomUUID();
    using abort = new RunAbort({ timeoutMs: request.timeoutMs, shutdown });
    const untrack = runs.add(runId, abort);
    const progress = new RunProgress();
    let release: GateRelease | undefined;
    try {
      release = await gates.of(agent).enter(limits, abort.signal);
      const outcome = await runAgentLoop({
        snapshot,
        input,
        models,
        callTool: this.#options.callTool,
        prices: this.#options.prices,
        signal: abort.signal,
        progress,
        sleep: abortableSleep,
        onModelFailure: (failure, target) =>
          this.#options.logger.warn(
            {
              runId,
              agent,
              model: target.model,
              provider: target.provider.name,
              code: failure.code,
              reason: failure.message,
            },
            "model call failed",
          ),
      });
      return this.#finish({ runId, snapshot, progress, received, outcome });
    } catch (thrown) {
      // Past the deadline or cancelled, whatever the call in flight threw, the reason is the abort.
      const error = abort.reason ?? toPatinoxError(thrown);
      // Refused a slot: the run never started, so the caller gets an ErrorReply.
      if (release === undefined && error.code === "overloaded") throw error;
      if (error.code === "internal") {
        this.#options.logger.error({ runId, agent, err: thrown }, "run failed unexpectedly");
      }
      return this.#finish({ runId, snapshot, progress, received, error });
    } finally {
      release?.();
      untrack();
    }
  }

  /**
   * What must hold before a run starts: a live definition, an input within the agent's size
   * limit, a provider for every model of the chain, and the input validators' approval.
   */
  async #admit(
    agent: string,
    request: RunRequest,
  ): Promise<{ snapshot: AgentSnapshot; models: readonly ModelTarget[]; input: RunInput }> {
    const snapshot = await this.#options.definitions.snapshot(agent);
    const { limits } = snapshot.definition;
    const size = inputView.byteLength(request.input);
    if (size > limits.maxInputBytes) {
      throw new PatinoxError(
        "payload_too_large",
        `the input is ${size} bytes; agent ${agent} accepts at most ${limits.maxInputBytes}`,
        { details: { limitBytes: limits.maxInputBytes, agent } },
      );
    }
    const models = this.#options.providers.chain(snapshot.definition.model);
    const input = snapshot.validators.validateInput(request.input);
    if (!passed(input)) throw validationRejected(input);
    return { snapshot, models, input: input.value };
  }

  #finish(run: {
    readonly runId: string;
    readonly snapshot: AgentSnapshot;
    readonly progress: RunProgress;
    readonly received: number;
    readonly outcome?: LoopOutcome;
    readonly error?: PatinoxError;
  }): RunReply {
    const { runId, snapshot, progress, outcome, error } = run;
    const status: RunStatus =
      outcome?.status ?? (error?.code === "cancelled" ? "cancelled" : "failed");
    const output =
      outcome?.status === "completed"
        ? outcome.output
        : status === "max_steps" || status === "cancelled"
          ? partialOutput(snapshot, progress)
          : undefined;
    const reply: RunReply & { model?: ModelRef } = {
      v: 1,
      runId,
      agent: snapshot.agent,
      status,
      ...(output !== undefined ? { output } : {}),
      usage: progress.usage(),
      steps: progress.steps,
      agentVersion: snapshot.version,
      durationMs: Math.round(performance.now() - run.received),
      ...(error !== undefined ? { error: error.toWire() } : {}),
      // Which model answered (a fallback, perhaps). Not in the RunReply schema yet; readers
      // ignore unknown fields, so it is safe to send ahead of the contract.
      ...(progress.model !== undefined ? { model: progress.model } : {}),
    };
    this.#options.logger.info(
      {
        runId,
        agent: snapshot.agent,
        agentVersion: snapshot.version,
        status,
        code: error?.code,
        steps: progress.steps,
        durationMs: reply.durationMs,
        inputTokens: progress.inputTokens,
        outputTokens: progress.outputTokens,
        model: progress.model?.name,
        stats: progress.stats,
      },
      "run finished",
    );
    return reply;
  }
}

/**
 * The last text the model wrote, passed through the output validators first: a partial output
 * is still output, so redaction applies to it, and one that fails a validator is left out.
 */
function partialOutput(snapshot: AgentSnapshot, progress: RunProgress): string | undefined {
  if (progress.lastText === undefined) return undefined;
  const checked = snapshot.validators.validateOutput(progress.lastText);
  return passed(checked) ? checked.value : undefined;
}
