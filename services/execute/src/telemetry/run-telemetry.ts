import { hash, randomUUID } from "node:crypto";
import type { MsgHdrs } from "@nats-io/nats-core";
import {
  type Context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type {
  BreakerStateEvent,
  ContentDigest,
  DefinitionInvalidEvent,
  ErrorCode,
  ModelCallEvent,
  ModelCallStatus,
  PatinoxError,
  RunCompletedEvent,
  RunReply,
  TelemetryEvent,
  ToolCallEvent,
  ToolCallStatus,
  ValidatorVerdictEvent,
} from "@patinox/contracts";
import { inputView, type RunInput, redactSecrets } from "@patinox/validation";
import type { ModelAttempt } from "../model-chain.ts";
import type { TelemetryPublisher } from "./publisher.ts";
import { contextFromHeaders, headersFor } from "./trace-headers.ts";

/** Longest sampled content kept per field, after redaction. */
const MAX_SAMPLE_CHARS = 2_000;

/** The verdict records of a validation stage, as `@patinox/validation` traces them. */
export interface VerdictTrace {
  readonly validator: string;
  readonly stage: "input" | "tool" | "output";
  readonly verdict: "approve" | "modify" | "reject" | "retry";
  readonly reason?: string;
}

/** What starts a run's telemetry. */
export interface RunStart {
  readonly agent: string;
  readonly runId: string;
  /** The request's headers: a `traceparent` there makes the run a child of the caller's span. */
  readonly headers: MsgHdrs | undefined;
  /** Share of runs whose content is sampled (the agent's `telemetry.contentSampleRate`). */
  readonly contentSampleRate: number;
  readonly sessionId?: string | undefined;
}

/**
 * Execute's telemetry, one per process: the run span and events of every run, and the events
 * that belong to no run (a definition that failed validation, a breaker changing state).
 * Events go through the {@link TelemetryPublisher}; spans through the OpenTelemetry tracer
 * (no-op unless an exporter is configured). User content never goes into either, only its
 * size and SHA-256, unless the agent opts in to sampling, and then redacted.
 */
export class ExecuteTelemetry {
  readonly #publisher: TelemetryPublisher;
  readonly #tracer: Tracer;
  readonly #service: string;

  constructor(options: { publisher: TelemetryPublisher; tracer: Tracer; service: string }) {
    this.#publisher = options.publisher;
    this.#tracer = options.tracer;
    this.#service = options.service;
  }

  /** Starts a run's span and returns the handle its events go through. */
  startRun(start: RunStart): RunTelemetry {
    const parent = contextFromHeaders(start.headers);
    const span = this.#tracer.startSpan(
      `invoke_agent ${start.agent}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "gen_ai.operation.name": "invoke_agent",
          "gen_ai.agent.name": start.agent,
          "patinox.run.id": start.runId,
          ...(start.sessionId ? { "gen_ai.conversation.id": start.sessionId } : {}),
        },
      },
      parent,
    );
    return new RunTelemetry({
      start,
      span,
      context: trace.setSpan(parent, span),
      tracer: this.#tracer,
      emit: (event, headers) => this.#publisher.publish(event, headers),
      service: this.#service,
    });
  }

  /** A definition in the bucket failed its schema; the last good version stays in use. */
  definitionInvalid(
    event: Omit<DefinitionInvalidEvent, "v" | "id" | "at" | "service" | "type">,
  ): void {
    this.#publisher.publish({
      v: 1,
      id: randomUUID(),
      at: new Date().toISOString(),
      service: this.#service,
      type: "definition.invalid",
      ...event,
    });
  }

  /** A circuit breaker changed state. */
  breakerState(event: Omit<BreakerStateEvent, "v" | "id" | "at" | "service" | "type">): void {
    this.#publisher.publish({
      v: 1,
      id: randomUUID(),
      at: new Date().toISOString(),
      service: this.#service,
      type: "breaker.state",
      ...event,
    });
  }
}

/** A tool call in progress: its trace headers, and how to end it. */
export interface ToolCallTelemetry {
  /** Headers for the tool request, carrying the tool span as `traceparent`. */
  readonly headers: MsgHdrs;
  /** Records how the call ended after `attempt` attempts. */
  end(status: ToolCallStatus, attempt: number, errorCode?: ErrorCode): void;
}

/** An event under construction: its optional fields are set one by one, only when present. */
type Draft<T> = { -readonly [K in keyof T]: T[K] };

/** The trace and span ids an event carries, when there is a trace. */
interface TraceIds {
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * The telemetry of one run: events (each with the run's trace and span ids) and the GenAI
 * spans of its model and tool calls under the run span.
 *
 * On the hot path (thousands of runs a second) events are built as plain object literals of
 * one shape, without spreading, and child spans are only started when the run span records:
 * under the default parent-based samplers a child of a span that does not record does not
 * record either, and without a tracing SDK every span is a no-op that repeats its parent's
 * ids, which the events then carry directly.
 */
export class RunTelemetry {
  readonly #start: RunStart;
  readonly #span: Span;
  readonly #context: Context;
  readonly #tracer: Tracer;
  readonly #emit: (event: TelemetryEvent, headers?: MsgHdrs) => void;
  readonly #service: string;
  /** The run span's trace context for events, or `undefined` when there is no trace. */
  readonly #headers: MsgHdrs | undefined;
  readonly #ids: TraceIds | undefined;
  /** Whether the run span records: child spans are started only then. */
  readonly #recording: boolean;
  #ended = false;

  constructor(fields: {
    start: RunStart;
    span: Span;
    context: Context;
    tracer: Tracer;
    emit: (event: TelemetryEvent, headers?: MsgHdrs) => void;
    service: string;
  }) {
    this.#start = fields.start;
    this.#span = fields.span;
    this.#context = fields.context;
    this.#tracer = fields.tracer;
    this.#emit = fields.emit;
    this.#service = fields.service;
    this.#recording = fields.span.isRecording();
    this.#ids = idsOf(fields.span);
    this.#headers = this.#ids === undefined ? undefined : headersFor(this.#context);
  }

  /** The run's trace id, when there is a trace (an exporter, or the caller's `traceparent`). */
  get traceId(): string | undefined {
    return this.#ids?.traceId;
  }

  /** One model call ended: a `model.call` event and a `chat` span. */
  modelAttempt(attempt: ModelAttempt, costUsd: number | undefined): void {
    const { target, completion, error } = attempt;
    const usage = completion?.usage;
    const inputTokens = usage?.prompt_tokens ?? 0;
    const outputTokens = usage?.completion_tokens ?? 0;
    // A provider may send a completion without `choices`: telemetry must not throw over it.
    const finishReason = completion?.choices?.[0]?.finish_reason ?? undefined;
    let ids = this.#ids;
    if (this.#recording) {
      const span = this.#tracer.startSpan(
        `chat ${target.model}`,
        {
          kind: SpanKind.CLIENT,
          startTime: epochOf(attempt.startedAt),
          attributes: {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": target.provider.name,
            "gen_ai.request.model": target.model,
            "gen_ai.usage.input_tokens": inputTokens,
            "gen_ai.usage.output_tokens": outputTokens,
            "patinox.fallback": attempt.fallback,
          },
        },
        this.#context,
      );
      if (completion) span.setAttribute("gen_ai.response.model", completion.model);
      if (finishReason) span.setAttribute("gen_ai.response.finish_reasons", [finishReason]);
      if (error) {
        span.setAttribute("error.type", error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
      }
      span.end(epochOf(attempt.endedAt));
      ids = idsOf(span);
    }
    const event: Draft<ModelCallEvent> = {
      v: 1,
      id: randomUUID(),
      at: new Date().toISOString(),
      service: this.#service,
      type: "model.call",
      agent: this.#start.agent,
      runId: this.#start.runId,
      model: target.model,
      provider: target.provider.name,
      status: modelCallStatus(error?.code, error?.details?.reason),
      latencyMs: Math.max(0, Math.round(attempt.endedAt - attempt.startedAt)),
      inputTokens,
      outputTokens,
      fallback: attempt.fallback,
      attempt: attempt.attempt,
    };
    if (ids !== undefined) {
      event.traceId = ids.traceId;
      event.spanId = ids.spanId;
    }
    if (error) event.errorCode = error.code;
    if (costUsd !== undefined) event.costUsd = costUsd;
    if (finishReason) event.finishReason = finishReason;
    this.#emit(event, this.#headers);
  }

  /** Starts an `execute_tool` span; the returned headers carry it into the tool request. */
  startToolCall(tool: string, callId: string): ToolCallTelemetry {
    const started = performance.now();
    const span = this.#recording
      ? this.#tracer.startSpan(
          `execute_tool ${tool}`,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              "gen_ai.operation.name": "execute_tool",
              "gen_ai.tool.name": tool,
              "gen_ai.tool.call.id": callId,
              "gen_ai.tool.type": "function",
            },
          },
          this.#context,
        )
      : undefined;
    // The tool request's own headers (the tool span, or the run's trace when there is no span).
    const headers = headersFor(span ? trace.setSpan(this.#context, span) : this.#context);
    const ids = span ? idsOf(span) : this.#ids;
    return {
      headers,
      end: (status, attempt, errorCode) => {
        if (span) {
          if (status !== "ok") {
            span.setAttribute("error.type", errorCode ?? status);
            span.setStatus({ code: SpanStatusCode.ERROR, message: status });
          }
          span.end();
        }
        const event: Draft<ToolCallEvent> = {
          v: 1,
          id: randomUUID(),
          at: new Date().toISOString(),
          service: this.#service,
          type: "tool.call",
          agent: this.#start.agent,
          runId: this.#start.runId,
          tool,
          status,
          latencyMs: Math.max(0, Math.round(performance.now() - started)),
          attempt,
        };
        if (ids !== undefined) {
          event.traceId = ids.traceId;
          event.spanId = ids.spanId;
        }
        if (errorCode) event.errorCode = errorCode;
        this.#emit(event, headers);
      },
    };
  }

  /**
   * The verdicts of one validation stage. Approvals are not sent (every validator approves
   * almost every run, and nothing downstream counts them): only `modify`, `reject` and
   * `retry` become `validator.verdict` events. Every verdict is a span event.
   */
  verdicts(records: readonly VerdictTrace[], tool?: string): void {
    for (const record of records) {
      if (this.#recording) {
        this.#span.addEvent("validator.verdict", {
          "patinox.validator": record.validator,
          "patinox.validator.stage": record.stage,
          "patinox.validator.verdict": record.verdict,
        });
      }
      if (record.verdict === "approve") continue;
      const event: Draft<ValidatorVerdictEvent> = {
        v: 1,
        id: randomUUID(),
        at: new Date().toISOString(),
        service: this.#service,
        type: "validator.verdict",
        agent: this.#start.agent,
        runId: this.#start.runId,
        validator: record.validator,
        stage: record.stage,
        verdict: record.verdict,
      };
      this.#addIds(event);
      if (record.reason) event.reason = record.reason.slice(0, 500);
      if (tool) event.tool = tool;
      this.#emit(event, this.#headers);
    }
  }

  /** The run was refused before it started (overloaded, too large…): the span ends, no event. */
  refused(error: PatinoxError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#span.setAttribute("error.type", error.code);
    this.#span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
    this.#span.end();
  }

  /**
   * The run ended: the `run.completed` event (its id is derived from the run id, so a job
   * that is redelivered after its result was stored never counts twice) and the run span.
   */
  completed(fields: {
    readonly reply: RunReply;
    readonly input: RunInput;
    readonly callerId?: string | undefined;
    readonly rejectedBy?: string | undefined;
  }): void {
    if (this.#ended) return;
    this.#ended = true;
    const { reply, input } = fields;
    const errorCode = reply.error?.code;
    if (this.#recording) {
      if (errorCode) {
        this.#span.setAttribute("error.type", errorCode);
        this.#span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
      }
      this.#span.setAttributes({
        "gen_ai.usage.input_tokens": reply.usage.inputTokens,
        "gen_ai.usage.output_tokens": reply.usage.outputTokens,
        "patinox.run.status": reply.status,
        "patinox.agent.version": reply.agentVersion,
      });
    }
    this.#span.end();
    const inputText = textOf(input);
    const event: Draft<RunCompletedEvent> = {
      v: 1,
      id: `run.completed:${reply.runId}`,
      at: new Date().toISOString(),
      service: this.#service,
      type: "run.completed",
      agent: reply.agent,
      runId: reply.runId,
      agentVersion: reply.agentVersion,
      status: reply.status,
      latencyMs: reply.durationMs,
      inputTokens: reply.usage.inputTokens,
      outputTokens: reply.usage.outputTokens,
      costUsd: reply.usage.costUsd,
      steps: reply.steps,
      input: digest(inputText, inputView.byteLength(input)),
    };
    this.#addIds(event);
    if (errorCode) event.errorCode = errorCode;
    if (fields.rejectedBy) event.rejectedBy = fields.rejectedBy;
    if (fields.callerId) event.callerId = fields.callerId;
    if (reply.output !== undefined) event.output = digest(reply.output);
    const rate = this.#start.contentSampleRate;
    if (rate > 0 && Math.random() < rate) {
      event.sample =
        reply.output !== undefined
          ? { input: sample(inputText), output: sample(reply.output) }
          : { input: sample(inputText) };
    }
    this.#emit(event, this.#headers);
  }

  #addIds(event: { traceId?: string | undefined; spanId?: string | undefined }): void {
    if (this.#ids === undefined) return;
    event.traceId = this.#ids.traceId;
    event.spanId = this.#ids.spanId;
  }
}

/** A span's ids, or `undefined` when it is not part of a valid trace. */
function idsOf(span: Span): TraceIds | undefined {
  const context = span.spanContext();
  return trace.isSpanContextValid(context)
    ? { traceId: context.traceId, spanId: context.spanId }
    : undefined;
}

/** `performance.now()` readings as the epoch milliseconds spans take. */
function epochOf(reading: number): number {
  return performance.timeOrigin + reading;
}

function modelCallStatus(code: ErrorCode | undefined, reason: unknown): ModelCallStatus {
  if (code === undefined) return "ok";
  if (code === "rate_limited") return "rate_limited";
  if (code === "deadline_exceeded" || reason === "timeout") return "timeout";
  return "error";
}

/** The content a digest or a sample is taken of: the text, or the conversation as JSON. */
function textOf(input: RunInput): string {
  return typeof input === "string" ? input : JSON.stringify(input);
}

function digest(text: string, bytes = Buffer.byteLength(text, "utf8")): ContentDigest {
  // The one-shot hash: no Hash object per digest.
  return { bytes, sha256: hash("sha256", text, "hex") };
}

function sample(text: string): string {
  return redactSecrets(text).slice(0, MAX_SAMPLE_CHARS);
}
