import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { isDeepStrictEqual } from "node:util";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { applyDefinition } from "@patinox/agents";
import {
  AgentDefinition,
  type AgentDefinitionInput,
  ErrorReply,
  RunReply,
} from "@patinox/contracts";
import { type Knowledge, openKnowledge } from "@patinox/knowledge";
import { type RunningService, startService } from "@patinox/runtime";
import type { NatsServer } from "@patinox/testkit";
import { type ServedTool, serveTool, type ToolSpec } from "@patinox/tools";
import { executeService } from "../service.ts";

/** The API key the test model servers expect. Shaped like a real one, so redaction is tested too. */
export const TEST_API_KEY = "sk-patinox-test-4f1c9a0b7e2d4c6f8a1b3c5d7e9f0a2b";

/** Options of {@link ExecuteHarness.start}. */
export interface HarnessOptions {
  readonly nats: NatsServer;
  /** The default provider's base URL (a `ModelServer`'s), unless `env` says otherwise. */
  readonly modelBaseURL?: string;
  /** Extra or overriding environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** One parsed log line. */
export type LogEntry = Readonly<Record<string, unknown>>;

/** What a run request can get back. */
export type RunAnswer = RunReply;

/**
 * Execute hosted in-process on a shared nats-server, isolated from other tests by its own
 * subject prefix and knowledge bucket, with its log lines captured.
 */
export class ExecuteHarness implements AsyncDisposable {
  readonly prefix: string;
  readonly nc: NatsConnection;
  readonly knowledge: Knowledge;
  /** Every log line the service wrote, raw. */
  readonly logs: string[];
  readonly #service: RunningService;
  #disposed = false;

  private constructor(fields: {
    prefix: string;
    nc: NatsConnection;
    knowledge: Knowledge;
    logs: string[];
    service: RunningService;
  }) {
    this.prefix = fields.prefix;
    this.nc = fields.nc;
    this.knowledge = fields.knowledge;
    this.logs = fields.logs;
    this.#service = fields.service;
  }

  static async start(options: HarnessOptions): Promise<ExecuteHarness> {
    // Its own prefix and bucket unless told to share another instance's.
    const prefix = options.env?.PATINOX_PREFIX ?? `t${randomBytes(4).toString("hex")}`;
    const logs: string[] = [];
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(
          ...chunk
            .toString("utf8")
            .split("\n")
            .filter((line) => line !== ""),
        );
        done();
      },
    });
    const service = await startService(executeService, {
      env: {
        NATS_URL: options.nats.url,
        PATINOX_HEALTH_PORT: "0",
        PATINOX_HEALTH_HOST: "127.0.0.1",
        PATINOX_PREFIX: prefix,
        PATINOX_BUCKET: prefix,
        PATINOX_SHUTDOWN_DEADLINE_MS: "2000",
        LOG_LEVEL: "debug",
        ...(options.modelBaseURL
          ? { OPENAI_BASE_URL: options.modelBaseURL, OPENAI_API_KEY: TEST_API_KEY }
          : {}),
        ...options.env,
      },
      logDestination,
    });
    const nc = await connect({ servers: options.nats.url });
    const knowledge = await openKnowledge(nc, { bucket: prefix });
    return new ExecuteHarness({ prefix, nc, knowledge, logs, service });
  }

  /** Makes `definition` the live version of its agent; returns the version. */
  async apply(definition: AgentDefinitionInput): Promise<number> {
    const result = await applyDefinition(this.knowledge, AgentDefinition.parse(definition), {
      appliedBy: "test",
      reason: "integration test",
    });
    return result.version;
  }

  /** Sends a run request and parses the reply as a `RunReply`; fails on an `ErrorReply`. */
  async run(
    agent: string,
    request: Record<string, unknown>,
    timeoutMs = 10_000,
  ): Promise<RunAnswer> {
    const body = await this.request(agent, request, timeoutMs);
    // An ErrorReply never has a status; failing here shows the error instead of a schema diff.
    if (typeof body !== "object" || body === null || !("status" in body)) {
      throw new Error(`expected a RunReply, got ${JSON.stringify(body)}`);
    }
    RunReply.parse(body);
    return body as RunAnswer;
  }

  /** Sends a run request that must fail before running; returns its `ErrorReply`. */
  async runError(agent: string, request: Record<string, unknown>): Promise<ErrorReply> {
    return ErrorReply.parse(await this.request(agent, request, 10_000));
  }

  /** Publishes a cancel request for `runId`. */
  async cancel(runId: string, reason?: string): Promise<void> {
    this.nc.publish(
      `${this.prefix}.runs.${runId}.cancel`,
      JSON.stringify({ v: 1, ...(reason ? { reason } : {}) }),
    );
    await this.nc.flush();
  }

  /** Serves a tool under this harness's prefix. */
  async serveTool<A = Record<string, unknown>>(spec: ToolSpec<A>): Promise<ServedTool> {
    return await serveTool(this.nc, { ...spec, prefix: this.prefix });
  }

  /** Resolves with the first log entry that has every field of `fields` (waiting for it). */
  async logged(fields: Readonly<Record<string, unknown>>, timeoutMs = 5_000): Promise<LogEntry> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const entry = this.logEntries().find((e) =>
        Object.entries(fields).every(([key, value]) => isDeepStrictEqual(e[key], value)),
      );
      if (entry !== undefined) return entry;
      if (Date.now() > until) throw new Error(`no log entry with ${JSON.stringify(fields)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Every log line, parsed. */
  logEntries(): LogEntry[] {
    return this.logs.map((line) => JSON.parse(line) as LogEntry);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#service.shutdown("test over");
    await this.nc.close();
  }

  private async request(
    agent: string,
    request: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<unknown> {
    const reply = await this.nc.request(
      `${this.prefix}.agents.${agent}.run`,
      JSON.stringify({ v: 1, ...request }),
      { timeout: timeoutMs },
    );
    return reply.json();
  }
}

/** A minimal agent definition, with `overrides` on top. */
export function agentDefinition(
  name: string,
  overrides: Partial<AgentDefinitionInput> = {},
): AgentDefinitionInput {
  return {
    v: 1,
    name,
    model: { name: "test-model" },
    instructions: `You are ${name}.`,
    ...overrides,
  };
}

/** A tool every test agent can use: look an order up by its id (the model-facing definition). */
export const lookupOrder = {
  name: "lookup_order",
  description: "Look up an order by its id.",
  parameters: {
    type: "object" as const,
    properties: { orderId: { type: "string", minLength: 1 } },
    required: ["orderId"],
    additionalProperties: false,
  },
};
