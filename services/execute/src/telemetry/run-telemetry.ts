import { createHash, randomUUID } from "node:crypto";
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
  ModelCallStatus,
  PatinoxError,
  RunReply,
  TelemetryEvent,
  ToolCallStatus,
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

/**
 * The telemetry of one run: events (each with the run's trace and span ids) and the GenAI
 * spans of its model and tool calls under the run span.
 */
export class RunTelemetry {
  readonly #start: RunStart;
  readonly #span: Span;
  readonly #context: Context;
  readonly #tracer: Tracer;
  readonly #emit: (event: TelemetryEvent, headers?: MsgHdrs) => void;
  readonly #service: string;
  readonly #headers: MsgHdrs;
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
    this.#headers = headersFor(this.#context);
  }

  /** The run's trace id, when there is a trace (an exporter, or the caller's `traceparent`). */
  get traceId(): string | undefined {
    const context = this.#span.spanContext();
    return trace.isSpanContextValid(context) ? context.traceId : undefined;
  }

  /** One model call ended: a `model.call` event and a `chat` span. */
  modelAttempt(attempt: ModelAttempt, costUsd: number | undefined): void {
    const { target, completion, error } = attempt;
    const usage = completion?.usage;
    const inputTokens = usage?.prompt_tokens ?? 0;
    const outputTokens = usage?.completion_tokens ?? 0;
    // A provider may send a completion without `choices`: telemetry must not throw over it.
    const finishReason = completion?.choices?.[0]?.finish_reason ?? undefined;
    const status = modelCallStatus(error?.code, error?.details?.reason);
    const span = this.#tracer.startSpan(
      `chat ${target.model}`,
      {
        kind: SpanKind.CLIENT,
        startTime: epochOf(attempt.startedAt),
        attributes: {
          "gen_ai.operation.name": "chat",
          "gen_ai.provider.name": target.provider.name,
          "gen_ai.request.model": target.model,
          ...(completion ? { "gen_ai.response.model": completion.model } : {}),
          "gen_ai.usage.input_tokens": inputTokens,
          "gen_ai.usage.output_tokens": outputTokens,
          ...(finishReason ? { "gen_ai.response.finish_reasons": [finishReason] } : {}),
          "patinox.fallback": attempt.fallback,
        },
      },
      this.#context,
    );
    if (error) {
      span.setAttribute("error.type", error.code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
    }
    span.end(epochOf(attempt.endedAt));
    this.#emit(
      {
        ...this.#envelope(span),
        type: "model.call",
        agent: this.#start.agent,
        model: target.model,
        provider: target.provider.name,
        status,
        ...(error ? { errorCode: error.code } : {}),
        latencyMs: Math.max(0, Math.round(attempt.endedAt - attempt.startedAt)),
        inputTokens,
        outputTokens,
        ...(costUsd !== undefined ? { costUsd } : {}),
        ...(finishReason ? { finishReason } : {}),
        fallback: attempt.fallback,
        attempt: attempt.attempt,
      },
      this.#headers,
    );
  }

  /** Starts an `execute_tool` span; the returned headers carry it into the tool request. */
  startToolCall(tool: string, callId: string): ToolCallTelemetry {
    const started = performance.now();
    const span = this.#tracer.startSpan(
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
    );
    const headers = headersFor(trace.setSpan(this.#context, span));
    return {
      headers,
      end: (status, attempt, errorCode) => {
        if (status !== "ok") {
          span.setAttribute("error.type", errorCode ?? status);
          span.setStatus({ code: SpanStatusCode.ERROR, message: status });
        }
        span.end();
        this.#emit(
          {
            ...this.#envelope(span),
            type: "tool.call",
            agent: this.#start.agent,
            tool,
            status,
            ...(errorCode ? { errorCode } : {}),
            latencyMs: Math.max(0, Math.round(performance.now() - started)),
            attempt,
          },
          headers,
        );
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
      this.#span.addEvent("validator.verdict", {
        "patinox.validator": record.validator,
        "patinox.validator.stage": record.stage,
        "patinox.validator.verdict": record.verdict,
      });
      if (record.verdict === "approve") continue;
      this.#emit(
        {
          ...this.#envelope(this.#span),
          type: "validator.verdict",
          agent: this.#start.agent,
          validator: record.validator,
          stage: record.stage,
          verdict: record.verdict,
          ...(record.reason ? { reason: record.reason.slice(0, 500) } : {}),
          ...(tool ? { tool } : {}),
        },
        this.#headers,
      );
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
    this.#span.end();
    const sampled =
      this.#start.contentSampleRate > 0 && Math.random() < this.#start.contentSampleRate;
    const inputText = textOf(input);
    this.#emit(
      {
        ...this.#envelope(this.#span),
        id: `run.completed:${reply.runId}`,
        type: "run.completed",
        agent: reply.agent,
        runId: reply.runId,
        agentVersion: reply.agentVersion,
        status: reply.status,
        ...(errorCode ? { errorCode } : {}),
        ...(fields.rejectedBy ? { rejectedBy: fields.rejectedBy } : {}),
        latencyMs: reply.durationMs,
        inputTokens: reply.usage.inputTokens,
        outputTokens: reply.usage.outputTokens,
        costUsd: reply.usage.costUsd,
        steps: reply.steps,
        ...(fields.callerId ? { callerId: fields.callerId } : {}),
        input: digest(inputText, inputView.byteLength(input)),
        ...(reply.output !== undefined ? { output: digest(reply.output) } : {}),
        ...(sampled
          ? {
              sample: {
                input: sample(inputText),
                ...(reply.output !== undefined ? { output: sample(reply.output) } : {}),
              },
            }
          : {}),
      },
      this.#headers,
    );
  }

  #envelope(span: Span) {
    const context = span.spanContext();
    const valid = trace.isSpanContextValid(context);
    return {
      v: 1 as const,
      id: randomUUID(),
      at: new Date().toISOString(),
      service: this.#service,
      agent: this.#start.agent,
      runId: this.#start.runId,
      ...(valid ? { traceId: context.traceId, spanId: context.spanId } : {}),
    };
  }
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
  return { bytes, sha256: createHash("sha256").update(text).digest("hex") };
}

function sample(text: string): string {
  return redactSecrets(text).slice(0, MAX_SAMPLE_CHARS);
}
