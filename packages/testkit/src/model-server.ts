import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type AssistantReply, chatCompletionBody } from "./chat-completion.ts";
import { chatCompletionEvents } from "./chat-completion-stream.ts";
import { type ChatRequest, parseChatRequest } from "./chat-request.ts";
import { ModelRequestLog } from "./model-request-log.ts";
import {
  type ApiKeyCheck,
  type ModelRequestRecord,
  type MutableRequestRecord,
  redactedHeaders,
} from "./model-request-record.ts";
import { ModelServerErrors } from "./model-server-errors.ts";
import type { ErrorStep, ModelStep } from "./model-step.ts";
import { scriptedReply } from "./scripted-reply.ts";

/**
 * Decides the step for a chat completion request the script queue does not cover. It sees the
 * checked body and the record (whose `index` tells the request's position).
 */
export type ModelHandler = (
  request: ChatRequest,
  record: ModelRequestRecord,
) => ModelStep | Promise<ModelStep>;

/** Options for {@link ModelServer.start}. */
export interface ModelServerOptions {
  /**
   * The API key clients must send as `Authorization: Bearer …`; without it any or no key is
   * accepted. @default undefined
   */
  readonly apiKey?: string;
  /** Steps for the first chat completion requests, in order. @default [] */
  readonly script?: readonly ModelStep[];
  /** Answers chat completion requests once the script is used up. @default undefined */
  readonly handler?: ModelHandler;
  /** Model ids listed by `GET /v1/models`. Chat requests may name any model. @default ["test-model"] */
  readonly models?: readonly string[];
  /** @default 0 (an ephemeral port) */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly host?: string;
  /** Keep a record of every request; turn off for long-running servers. @default true */
  readonly record?: boolean;
  /** The clock for `created` timestamps, in milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Larger bodies get 413. @default 8 MiB */
  readonly maxBodyBytes?: number;
}

/** One request in flight: its response and whether the client is still connected. */
interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: MutableRequestRecord;
  connected: boolean;
}

const defaultWaitMs = 10_000;

function hexId(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is still read to the end (and dropped): leaving the loop early would
  // destroy the socket before the 413 could be sent.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString("utf8");
}

/**
 * A real OpenAI-compatible HTTP server on loopback for tests and offline use: the `openai`
 * client talks to it over TCP exactly as to the real API. Chat completions are answered by a
 * queue of scripted {@link ModelStep}s, then by a {@link ModelHandler}; every request is recorded
 * (credentials redacted). `stream: true` is answered with server-sent `chat.completion.chunk`
 * events. Dispose with `await using` to close it and every connection it holds.
 */
export class ModelServer implements AsyncDisposable {
  /** The URL to give the client as `baseURL`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly baseURL: string;
  readonly port: number;
  readonly #server: Server;
  readonly #apiKey: string | undefined;
  readonly #queue: ModelStep[];
  readonly #models: readonly string[];
  readonly #now: () => number;
  readonly #maxBodyBytes: number;
  readonly #startedAt: number;
  readonly #log: ModelRequestLog;
  #handler: ModelHandler | undefined;
  #sequence = 0;
  #closing = false;

  private constructor(server: Server, options: ModelServerOptions) {
    const { address, port } = server.address() as AddressInfo;
    this.#server = server;
    this.port = port;
    this.baseURL = `http://${address}:${port}/v1`;
    this.#apiKey = options.apiKey;
    this.#queue = [...(options.script ?? [])];
    this.#handler = options.handler;
    this.#models = options.models ?? ["test-model"];
    this.#log = new ModelRequestLog(options.record ?? true);
    this.#now = options.now ?? Date.now;
    this.#maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
    this.#startedAt = this.#now();
    server.on("request", (req, res) => this.#accept(req, res));
  }

  /** Starts listening and resolves once the port is bound. */
  static async start(options: ModelServerOptions = {}): Promise<ModelServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new ModelServer(server, options);
  }

  /** Appends steps to the script. */
  enqueue(...steps: ModelStep[]): void {
    this.#queue.push(...steps);
  }

  /** Replaces the handler used once the script is empty (`undefined` removes it). */
  setHandler(handler: ModelHandler | undefined): void {
    this.#handler = handler;
  }

  /** Scripted steps not yet used. */
  get pendingSteps(): number {
    return this.#queue.length;
  }

  /** Every request received so far, in arrival order (empty when recording is off). */
  get requests(): readonly ModelRequestRecord[] {
    return this.#log.all;
  }

  /** The `POST /v1/chat/completions` requests among {@link requests}, retries included. */
  get chatRequests(): readonly ModelRequestRecord[] {
    return this.#log.all.filter((r) => r.method === "POST" && r.path === "/v1/chat/completions");
  }

  /** Drops the script and the records, for a server shared by several tests. */
  reset(): void {
    this.#queue.length = 0;
    this.#log.clear();
  }

  /** Resolves with request `index` (from 0) once it has arrived. */
  async received(index: number, timeoutMs = defaultWaitMs): Promise<ModelRequestRecord> {
    return await this.#log.received(index, timeoutMs);
  }

  /** Resolves with request `index` once it is no longer pending (answered, failed or closed). */
  async settled(index: number, timeoutMs = defaultWaitMs): Promise<ModelRequestRecord> {
    return await this.#log.settled(index, timeoutMs);
  }

  /** Stops listening and drops every connection, hanging requests included. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
    this.#log.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #accept(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://model-server");
    const record: MutableRequestRecord = {
      index: this.#sequence++,
      method: req.method ?? "GET",
      path: url.pathname,
      headers: redactedHeaders(req.headers),
      apiKey: this.#checkApiKey(req.headers.authorization),
      rawBody: "",
      body: undefined,
      step: undefined,
      status: undefined,
      outcome: "pending",
    };
    const exchange: Exchange = { req, res, record, connected: true };
    res.once("close", () => {
      exchange.connected = false;
      if (record.outcome === "pending") {
        record.outcome = this.#closing ? "server-closed" : "client-closed";
      }
      this.#log.changed();
    });
    this.#log.add(record);
    this.#serve(exchange).catch((error: unknown) => {
      this.#sendError(exchange, ModelServerErrors.internal(error));
    });
  }

  async #serve(exchange: Exchange): Promise<void> {
    const { record } = exchange;
    const raw = await readBody(exchange.req, this.#maxBodyBytes);
    if (raw !== undefined) record.rawBody = raw;
    const route = `${record.method} ${record.path}`;
    const modelId = /^GET \/v1\/models\/([^/]+)$/.exec(route)?.[1];
    const refusal =
      raw === undefined
        ? ModelServerErrors.bodyTooLarge(this.#maxBodyBytes)
        : this.#refusal(route, modelId !== undefined, record);
    if (refusal) {
      this.#sendError(exchange, refusal);
    } else if (route === "GET /v1/models") {
      const data = this.#models.map((id) => this.#modelBody(id));
      this.#sendJson(exchange, 200, { object: "list", data });
    } else if (modelId !== undefined) {
      const id = decodeURIComponent(modelId);
      if (this.#models.includes(id)) this.#sendJson(exchange, 200, this.#modelBody(id));
      else this.#sendError(exchange, ModelServerErrors.modelNotFound(id));
    } else {
      await this.#chat(exchange, record.rawBody);
    }
  }

  /** The error a request gets before any step is consumed: unknown URL or credentials. */
  #refusal(
    route: string,
    isModelRoute: boolean,
    record: ModelRequestRecord,
  ): ErrorStep | undefined {
    const known =
      isModelRoute || route === "POST /v1/chat/completions" || route === "GET /v1/models";
    if (!known) return ModelServerErrors.invalidUrl(record.method, record.path);
    if (record.apiKey === "missing") return ModelServerErrors.missingApiKey();
    if (record.apiKey === "mismatched") return ModelServerErrors.invalidApiKey();
    return undefined;
  }

  async #chat(exchange: Exchange, raw: string): Promise<void> {
    const check = parseChatRequest(raw);
    if (!check.ok) {
      this.#sendError(exchange, check.error);
      return;
    }
    exchange.record.body = check.request;
    const step = await this.#nextStep(check.request, exchange.record);
    exchange.record.step = step.kind;
    await this.#perform(exchange, check.request, step);
  }

  async #nextStep(request: ChatRequest, record: ModelRequestRecord): Promise<ModelStep> {
    const scripted = this.#queue.shift();
    if (scripted) return scripted;
    if (!this.#handler) return ModelServerErrors.scriptExhausted(record.index);
    try {
      return await this.#handler(request, record);
    } catch (error) {
      return ModelServerErrors.handlerFailed(error);
    }
  }

  async #perform(exchange: Exchange, request: ChatRequest, step: ModelStep): Promise<void> {
    switch (step.kind) {
      case "delayed":
        await this.#pause(exchange, step.ms);
        if (exchange.connected) await this.#perform(exchange, request, step.step);
        return;
      case "hang":
        // Nothing to do: the close listener settles the record when the client gives up.
        return;
      case "disconnect":
        exchange.record.outcome = "server-closed";
        exchange.req.socket.destroy();
        return;
      case "error":
        return this.#sendError(exchange, step);
      case "text":
      case "tool-calls":
        return this.#sendReply(
          exchange,
          request,
          scriptedReply(step, request, exchange.record.index),
        );
    }
  }

  /** Waits `ms`, or less if the client leaves or the server closes meanwhile. */
  async #pause(exchange: Exchange, ms: number): Promise<void> {
    if (!exchange.connected) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        exchange.res.off("close", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      exchange.res.once("close", done);
    });
  }

  #sendReply(exchange: Exchange, request: ChatRequest, reply: AssistantReply): void {
    const frame = {
      id: `chatcmpl-${hexId(12)}`,
      created: Math.floor(this.#now() / 1000),
      model: request.model,
    };
    if (request.stream === true) {
      const includeUsage = request.stream_options?.include_usage === true;
      this.#sendEvents(exchange, chatCompletionEvents(frame, reply, includeUsage));
    } else {
      this.#sendJson(exchange, 200, chatCompletionBody(frame, reply));
    }
  }

  #sendEvents(exchange: Exchange, events: readonly string[]): void {
    const { res, record } = exchange;
    if (!exchange.connected || res.headersSent) return;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-request-id": `req_${hexId(16)}`,
    });
    record.status = 200;
    record.outcome = "answered";
    for (const event of events) res.write(event);
    res.end();
    this.#log.changed();
  }

  #sendError(exchange: Exchange, step: ErrorStep): void {
    const headers: Record<string, string> = { ...step.headers };
    if (step.retryAfter !== undefined) headers["retry-after"] = String(step.retryAfter);
    const { message, type, param, code } = step;
    this.#sendJson(exchange, step.status, { error: { message, type, param, code } }, headers);
  }

  #sendJson(
    exchange: Exchange,
    status: number,
    body: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): void {
    const { res, record } = exchange;
    if (!exchange.connected || res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(text),
      "x-request-id": `req_${hexId(16)}`,
      ...headers,
    });
    record.status = status;
    record.outcome = status < 400 ? "answered" : "failed";
    res.end(text);
    this.#log.changed();
  }

  #modelBody(id: string): Record<string, unknown> {
    return {
      id,
      object: "model",
      created: Math.floor(this.#startedAt / 1000),
      owned_by: "patinox",
    };
  }

  #checkApiKey(authorization: string | undefined): ApiKeyCheck {
    if (this.#apiKey === undefined) return "not-required";
    const presented = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim();
    if (!presented) return "missing";
    return presented === this.#apiKey ? "matched" : "mismatched";
  }
}
