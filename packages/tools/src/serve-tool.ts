import type { MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { type Service, type ServiceMsg, Svcm } from "@nats-io/services";
import { createSubjects, encode, PatinoxError, toWireError } from "@patinox/contracts";
import {
  type ArgumentIssue,
  compileArgumentsSchema,
  type JsonSchemaObject,
} from "./arguments-schema.ts";
import { ToolError } from "./tool-error.ts";

/** What a tool handler gets besides its arguments. */
export interface ToolCallContext {
  /** NATS headers of the call (trace context travels here). */
  readonly headers: MsgHdrs | undefined;
}

/** A tool: what the model is told about it, and the function that does the work. */
export interface ToolSpec<A = Record<string, unknown>> {
  /** The tool's name as the model calls it; also its subject token and micro-service name. */
  readonly name: string;
  /** What the tool does, written for the model. */
  readonly description: string;
  /** JSON Schema of the arguments object; calls that fail it never reach the handler. */
  readonly parameters: JsonSchemaObject;
  /** Returns any JSON value; throw {@link ToolError} for a failure the model should read. */
  handler(args: A, context: ToolCallContext): unknown | Promise<unknown>;
  /** @default "1.0.0" */
  readonly version?: string;
  /** Subject prefix. @default "patinox" */
  readonly prefix?: string;
  /** Queue group shared by replicas of this tool. @default "tools" */
  readonly queue?: string;
  /**
   * Told of every exception other than {@link ToolError} (its text is not sent to the caller).
   * @default writes the error to standard error
   */
  readonly onError?: (error: unknown) => void;
}

/** A running tool; stop it to unsubscribe. */
export interface ServedTool extends AsyncDisposable {
  readonly subject: string;
  readonly service: Service;
  stop(): Promise<void>;
}

/**
 * Serves a tool as a NATS micro service (`$SRV` discovery, stats) on
 * `<prefix>.tools.<name>`: the request is the arguments object, the reply the handler's
 * result as JSON, or `{ v: 1, error }` with the micro-service error headers. Arguments are
 * checked against `parameters` before the handler runs; bad ones get `malformed_message`
 * listing each problem.
 */
export async function serveTool<A = Record<string, unknown>>(
  nc: NatsConnection,
  spec: ToolSpec<A>,
): Promise<ServedTool> {
  const subject = createSubjects(spec.prefix).tool(spec.name);
  const check = compileArgumentsSchema(spec.parameters);
  const service = await new Svcm(nc).add({
    name: spec.name,
    version: spec.version ?? "1.0.0",
    description: spec.description,
    queue: spec.queue ?? "tools",
    metadata: { kind: "patinox-tool", subject },
  });
  service.addEndpoint("call", {
    subject,
    metadata: { description: spec.description, parameters: JSON.stringify(spec.parameters) },
    handler: (error, message) => {
      if (!error) void answer(spec, check, message);
    },
  });
  const stop = async () => {
    await service.stop();
  };
  return { subject, service, stop, [Symbol.asyncDispose]: stop };
}

async function answer<A>(
  spec: ToolSpec<A>,
  check: (value: unknown) => readonly ArgumentIssue[],
  message: ServiceMsg,
): Promise<void> {
  let reply: Uint8Array;
  let status = 200;
  try {
    const args = parseArguments(message.data, check);
    reply = encode((await spec.handler(args as A, { headers: message.headers })) ?? null);
  } catch (error) {
    if (
      !(error instanceof ToolError) &&
      !(error instanceof PatinoxError && error.code === "malformed_message")
    ) {
      (spec.onError ?? reportToStderr(spec.name))(error);
    }
    const patinox =
      error instanceof PatinoxError
        ? error
        : new PatinoxError(
            "tool_failure",
            error instanceof ToolError ? error.message : `tool ${spec.name} failed`,
            { details: { tool: spec.name }, cause: error },
          );
    status = patinox.natsServiceCode;
    reply = encode({ v: 1, error: toWireError(patinox) });
    try {
      message.respondError(status, patinox.message.replace(/[\r\n]+/g, " "), reply);
    } catch {
      // Nobody to tell: the caller published without a reply subject.
    }
    return;
  }
  try {
    message.respond(reply);
  } catch {
    // As above.
  }
}

function reportToStderr(tool: string): (error: unknown) => void {
  return (error) =>
    process.stderr.write(
      `tool ${tool} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
}

function parseArguments(
  data: Uint8Array,
  check: (value: unknown) => readonly ArgumentIssue[],
): unknown {
  let args: unknown;
  try {
    args = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch {
    throw new PatinoxError("malformed_message", "tool arguments are not a JSON object", {
      details: { issues: [{ path: "/", message: "not valid UTF-8 JSON" }] },
    });
  }
  const issues = check(args);
  if (issues.length > 0) {
    throw new PatinoxError(
      "malformed_message",
      `tool arguments do not match the schema: ${describe(issues)}`,
      {
        details: { issues: issues.map((i) => ({ path: i.path, message: i.message })) },
      },
    );
  }
  return args;
}

function describe(issues: readonly ArgumentIssue[]): string {
  return issues.map((i) => `${i.path} ${i.message}`).join("; ");
}
