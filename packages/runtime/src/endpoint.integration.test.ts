import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { type ErrorCode, ErrorReply, ErrorSpecs, PatinoxError } from "@patinox/contracts";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ServiceDefinition } from "./service-definition.ts";
import { testConnection } from "./test-support/connection.ts";
import { type HostedService, hostService } from "./test-support/hosted-service.ts";

const decoder = new TextDecoder();
const PLANTED_SECRET = "sk-live-4f9a1c77e2";

const EchoRequest = z.strictObject({ v: z.literal(1), name: z.string().min(1) });
const FailRequest = z.strictObject({
  v: z.literal(1),
  code: z.string(),
  message: z.string(),
});

/** A service whose endpoints echo, fail as asked, or return what has no JSON form. */
const fixture: ServiceDefinition = {
  name: "fixture",
  version: "0.0.1",
  description: "endpoint behaviour under test",
  start(context) {
    context.addEndpoint({
      name: "echo",
      subject: "fixture.echo",
      request: EchoRequest,
      maxBytes: 256,
      handle: ({ name }, request) => ({ v: 1, hello: name, subject: request.subject }),
    });
    context.addEndpoint({
      name: "items",
      subject: "fixture.items.*",
      request: EchoRequest,
      handle: ({ name }, request) => ({ v: 1, name, subject: request.subject }),
    });
    context.addEndpoint({
      name: "fail",
      subject: "fixture.fail",
      request: FailRequest,
      handle: ({ code, message }) => {
        throw new PatinoxError(code as ErrorCode, message, { retryAfterMs: 1_500 });
      },
    });
    context.addEndpoint({
      name: "crash",
      subject: "fixture.crash",
      request: z.object({ v: z.literal(1) }),
      handle: async () => {
        throw new Error(`upstream refused key ${PLANTED_SECRET}`);
      },
    });
    context.addEndpoint({
      name: "unencodable",
      subject: "fixture.unencodable",
      request: z.object({ v: z.literal(1) }),
      handle: () => ({ v: 1, big: 10n }),
    });
  },
};

let nats: NatsServer;
beforeAll(async () => {
  nats = await NatsServer.start();
});
afterAll(async () => {
  await nats?.[Symbol.asyncDispose]();
});

async function request(nc: NatsConnection, subject: string, body: string): Promise<Msg> {
  return await nc.request(subject, body, { timeout: 3_000 });
}

function errorOf(reply: Msg): ErrorReply["error"] {
  return ErrorReply.parse(JSON.parse(decoder.decode(reply.data))).error;
}

/** Whether the service still answers a well-formed request. */
async function stillServing(nc: NatsConnection): Promise<unknown> {
  return (await request(nc, "fixture.echo", '{"v":1,"name":"again"}')).json();
}

describe("a typed endpoint", () => {
  let service: HostedService;
  let nc: NatsConnection & AsyncDisposable;
  beforeAll(async () => {
    service = await hostService(fixture, nats.url);
    nc = await testConnection(nats.url);
  });
  afterAll(async () => {
    await nc?.[Symbol.asyncDispose]();
    await service?.[Symbol.asyncDispose]();
  });

  it("replies with the handler's result as JSON, and passes the concrete subject", async () => {
    const reply = await request(nc, "fixture.items.42", '{"v":1,"name":"ada"}');

    expect(reply.json()).toEqual({ v: 1, name: "ada", subject: "fixture.items.42" });
    expect(reply.headers?.get("Nats-Service-Error-Code") ?? "").toBe("");
  });

  it.each([
    ["overloaded", "every slot is taken"],
    ["not_found", "no run r-1"],
    ["rate_limited", "slow down"],
    ["conflict", "lost the race"],
  ] as const)(
    "turns a thrown PatinoxError %s into an error reply with the header its spec gives",
    async (code, message) => {
      const reply = await request(nc, "fixture.fail", JSON.stringify({ v: 1, code, message }));

      const spec = ErrorSpecs[code];
      expect(errorOf(reply)).toEqual({
        code,
        message,
        recovery: spec.recovery,
        retryable: spec.retryable,
        retryAfterMs: 1_500,
      });
      expect(reply.headers?.get("Nats-Service-Error-Code")).toBe(String(spec.natsServiceCode));
      expect(reply.headers?.get("Nats-Service-Error")).toBe(message);
      expect(await stillServing(nc)).toMatchObject({ hello: "again" });
    },
  );

  it("answers a plain Error with `internal` and a generic message, keeping its text out of the reply", async () => {
    const reply = await request(nc, "fixture.crash", '{"v":1}');

    expect(errorOf(reply)).toMatchObject({ code: "internal", message: "internal error" });
    expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("500");
    const wire = `${decoder.decode(reply.data)}\n${JSON.stringify([...(reply.headers ?? [])])}`;
    expect(wire).not.toContain(PLANTED_SECRET);
    // The operator still learns what happened, from the service's own log.
    const logged = await service.log.waitFor((r) => r.msg === "endpoint handler failed");
    expect(logged).toMatchObject({ level: "error", endpoint: "crash" });
    expect(await stillServing(nc)).toMatchObject({ hello: "again" });
  });

  it("answers a result with no JSON form with `internal` instead of leaving the caller waiting", async () => {
    const reply = await request(nc, "fixture.unencodable", '{"v":1}');

    expect(errorOf(reply).code).toBe("internal");
    expect(await stillServing(nc)).toMatchObject({ hello: "again" });
  });

  it("answers bytes that are not JSON with malformed_message at the json stage", async () => {
    const reply = await request(nc, "fixture.echo", "{not json");

    const error = errorOf(reply);
    expect(error.code).toBe("malformed_message");
    expect(error.details).toEqual({ stage: "json", issues: [] });
    expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("400");
    expect(await stillServing(nc)).toMatchObject({ hello: "again" });
  });

  it("answers JSON that fails the schema with malformed_message listing each issue", async () => {
    const reply = await request(nc, "fixture.echo", '{"v":2,"name":"","extra":true}');

    const error = errorOf(reply);
    expect(error.code).toBe("malformed_message");
    expect(error.details?.stage).toBe("schema");
    const issues = error.details?.issues as Array<{ path: string; message: string }>;
    expect(issues.map((issue) => issue.path).sort()).toEqual(["/extra", "/name", "/v"]);
    expect(await stillServing(nc)).toMatchObject({ hello: "again" });
  });

  it("answers an error whose message holds a line break, which a header cannot carry", async () => {
    // The unknown key is echoed in the error message; NATS headers forbid CR and LF.
    const reply = await request(nc, "fixture.echo", '{"v":1,"name":"x","a\\r\\nb":1}');

    const error = errorOf(reply);
    expect(error.code).toBe("malformed_message");
    expect(error.message).toContain("a\r\nb");
    expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("400");
    expect(reply.headers?.get("Nats-Service-Error")).not.toMatch(/[\r\n]/);
    expect(await stillServing(nc)).toMatchObject({ hello: "again" });
  });

  it("answers a request larger than the endpoint's maxBytes with payload_too_large", async () => {
    const reply = await request(
      nc,
      "fixture.echo",
      JSON.stringify({ v: 1, name: "x".repeat(300) }),
    );

    const error = errorOf(reply);
    expect(error.code).toBe("payload_too_large");
    expect(error.details).toMatchObject({ limitBytes: 256 });
    expect(reply.headers?.get("Nats-Service-Error-Code")).toBe("413");
    expect(await stillServing(nc)).toMatchObject({ hello: "again" });
  });

  it("survives a request published without a reply subject", async () => {
    nc.publish("fixture.crash", '{"v":1}');
    nc.publish("fixture.echo", "garbage");
    await nc.flush();

    expect(await stillServing(nc)).toMatchObject({ hello: "again" });
  });
});
