import { randomUUID } from "node:crypto";
import type { MsgHdrs } from "@nats-io/nats-core";
import {
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
import type { RunGuards } from "./run-guards.ts";
import { RunProgress } from "./run-progress.ts";
import type { RunsInFlight } from "./runs-in-flight.ts";
import type { ExecuteTelemetry, RunTelemetry } from "./telemetry/run-telemetry.ts";
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
  readonly telemetry: ExecuteTelemetry;
  /** Rate limits, token budgets, circuit breakers and 429 retries, shared across replicas. */
  readonly guards: RunGuards;
}

/** Where a run request came from, besides its body. */
export interface RunOrigin {
  /** Aborts when the service stops past its deadline. */
  readonly shutdown: AbortSignal;
  /** The request's NATS headers: a `traceparent` continues the caller's trace. */
  readonly headers?: MsgHdrs | undefined;
  /**
   * A durable job: if shutdown cuts the run short, the job is handed back and runs again, so
   * this attempt is not a `run.completed` (its id would shadow the real one for the stream's
   * duplicate window).
   */
  readonly handedBackOnShutdown?: boolean;
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

  /** Runs `request` on `agent`. */
  async run(agent: string, request: RunRequest, origin: RunOrigin): Promise<RunReply> {
    const received = performance.now();
    const runId = request.runId ?? randomUUID();
    const snapshot = await this.#options.definitions.snapshot(agent);
    const telemetry = this.#options.telemetry.startRun({
      agent,
      runId,
      headers: origin.headers,
      contentSampleRate: snapshot.definition.telemetry.contentSampleRate,
      sessionId: request.sessionId,
    });
    const { models, input } = this.#admitOrRefuse(snapshot, request, {
      runId,
      received,
      telemetry,
    });
    const { gates, runs, guards } = this.#options;
    const { limits } = snapshot.definition;
    // Budget and rate limits: a refusal is an ErrorReply, like the checks above.
    await guards.admit(agent, limits, request.callerId).catch((error: unknown) => {
      telemetry.refused(toPatinoxError(error));
      throw error;
    });
    using abort = new RunAbort({ timeoutMs: request.timeoutMs, shutdown: origin.shutdown });
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
        telemetry,
        guards: guards.forRun(agent, limits, deadlineOf(received, request.timeoutMs)),
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
      return this.#finish({ runId, snapshot, progress, received, outcome, telemetry, request });
    } catch (thrown) {
      // Past the deadline or cancelled, whatever the call in flight threw, the reason is the abort.
      const error = abort.reason ?? toPatinoxError(thrown);
      // Refused a slot: the run never started, so the caller gets an ErrorReply.
      if (release === undefined && error.code === "overloaded") {
        telemetry.refused(error);
        throw error;
      }
      if (error.code === "internal") {
        this.#options.logger.error({ runId, agent, err: thrown }, "run failed unexpectedly");
      }
      const handedBack =
        origin.handedBackOnShutdown === true &&
        origin.shutdown.aborted &&
        error.code === "unavailable";
      return this.#finish({
        runId,
        snapshot,
        progress,
        received,
        error,
        telemetry,
        request,
        ...(handedBack ? { uncounted: true } : {}),
      });
    } finally {
      release?.();
      untrack();
    }
  }

  /**
   * What must hold before a run starts: an input within the agent's size limit, a provider
   * for every model of the chain, and the input validators' approval. A refusal ends the run's
   * span; an input a validator rejected is also a `run.completed` event (status `failed`,
   * `rejectedBy`), since validator hotspots are counted from it.
   */
  #admitOrRefuse(
    snapshot: AgentSnapshot,
    request: RunRequest,
    run: { readonly runId: string; readonly received: number; readonly telemetry: RunTelemetry },
  ): { models: readonly ModelTarget[]; input: RunInput } {
    const { telemetry } = run;
    try {
      const { limits } = snapshot.definition;
      const size = inputView.byteLength(request.input);
      if (size > limits.maxInputBytes) {
        throw new PatinoxError(
          "payload_too_large",
          `the input is ${size} bytes; agent ${snapshot.agent} accepts at most ${limits.maxInputBytes}`,
          { details: { limitBytes: limits.maxInputBytes, agent: snapshot.agent } },
        );
      }
      const models = this.#options.providers.chain(snapshot.definition.model);
      const input = snapshot.validators.validateInput(request.input);
      telemetry.verdicts(input.trace);
      if (!passed(input)) {
        const error = validationRejected(input);
        this.#finish({
          ...run,
          snapshot,
          progress: new RunProgress(),
          error,
          request,
          rejectedBy: input.validator,
        });
        throw error;
      }
      return { models, input: input.value };
    } catch (error) {
      telemetry.refused(toPatinoxError(error));
      throw error;
    }
  }

  #finish(run: {
    readonly runId: string;
    readonly snapshot: AgentSnapshot;
    readonly progress: RunProgress;
    readonly received: number;
    readonly telemetry: RunTelemetry;
    readonly request: RunRequest;
    readonly outcome?: LoopOutcome;
    readonly error?: PatinoxError;
    /** The validator that rejected the input or output, when one did. */
    readonly rejectedBy?: string;
    /** Not a completed run for telemetry (a job handed back at shutdown runs again). */
    readonly uncounted?: boolean;
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
    // Optional fields assigned when present rather than spread in: the object then stays in
    // V8's fast shape, and JSON.stringify of the reply is ~30% quicker (it is encoded per run).
    const reply: { -readonly [K in keyof RunReply]: RunReply[K] } = {
      v: 1,
      runId,
      agent: snapshot.agent,
      status,
      usage: progress.usage(),
      steps: progress.steps,
      agentVersion: snapshot.version,
      durationMs: Math.round(performance.now() - run.received),
    };
    if (output !== undefined) reply.output = output;
    if (error !== undefined) reply.error = error.toWire();
    if (progress.model !== undefined) reply.model = progress.model;
    const traceId = run.telemetry.traceId;
    if (traceId !== undefined) reply.traceId = traceId;
    if (run.uncounted === true && error !== undefined) run.telemetry.refused(error);
    else
      run.telemetry.completed({
        reply,
        input: run.request.input,
        callerId: run.request.callerId,
        rejectedBy: run.rejectedBy ?? rejectingValidator(error),
      });
    // A completed run is logged at debug: at thousands of runs a second a line per run costs
    // more CPU than anything else Execute adds, and `run.completed` carries the same facts.
    // Any other outcome is rare and worth an operator's eye: info. Redaction applies to both.
    const level = status === "completed" ? "debug" : "info";
    const { logger } = this.#options;
    if (!logger.isLevelEnabled(level)) return reply;
    logger[level](
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

/** The validator named by a `validation_rejected` error, if it names one. */
function rejectingValidator(error: PatinoxError | undefined): string | undefined {
  if (error?.code !== "validation_rejected") return undefined;
  const validator = error.details?.validator;
  return typeof validator === "string" ? validator : undefined;
}

/** The run's deadline on the `performance.now()` clock, if the caller gave one. */
function deadlineOf(received: number, timeoutMs: number | undefined): number | undefined {
  return timeoutMs === undefined ? undefined : received + timeoutMs;
}
