import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { PatinoxError } from "./errors.ts";
import { encode, parseMessage, parseRecord } from "./parse.ts";
import { SchemaIssue } from "./primitives.ts";
import { RunReply, RunRequest } from "./run.ts";
import { MAX_SCHEMA_ISSUES } from "./schema-issues.ts";
import { TelemetryEvent } from "./telemetry.ts";
import { ErrorReply, WireError } from "./wire-error.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function issuesOf(error: PatinoxError): SchemaIssue[] {
  return z.array(SchemaIssue).parse(error.details?.issues);
}

function errorOf(result: ReturnType<typeof parseMessage>) {
  if (result.ok) throw new Error("expected a failure");
  return result.error;
}

describe("parseMessage", () => {
  it("accepts bytes, a string, or an already-decoded value", () => {
    const message = { v: 1, input: "hello" };
    for (const input of [bytes(JSON.stringify(message)), JSON.stringify(message), message]) {
      expect(parseMessage(RunRequest, input)).toEqual({ ok: true, value: message });
    }
  });

  it("skips a UTF-8 byte order mark", () => {
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"v":1,"input":"hi"}')]);
    expect(parseMessage(RunRequest, withBom).ok).toBe(true);
  });

  it("reports invalid UTF-8 at stage utf8", () => {
    const error = errorOf(parseMessage(RunRequest, new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])));
    expect(error.code).toBe("malformed_message");
    expect(error.details).toMatchObject({ stage: "utf8", issues: [] });
  });

  it("reports invalid JSON without quoting the input", () => {
    const error = errorOf(parseMessage(RunRequest, 'sk-live-secret {"v":1'));
    expect(error.details).toMatchObject({ stage: "json" });
    expect(error.message).not.toContain("sk-live");
  });

  it("lists schema issues as JSON Pointers", () => {
    const error = errorOf(parseMessage(RunRequest, { v: 2, input: 5, timeoutMs: -1 }));
    expect(error.details?.stage).toBe("schema");
    const paths = issuesOf(error)
      .map((i) => i.path)
      .sort();
    expect(paths).toEqual(["/input", "/timeoutMs", "/v"]);
    expect(error.message).toMatch(/^message does not match its schema: \//);
  });

  it("names each unknown field of a strict request", () => {
    const error = errorOf(
      parseMessage(RunRequest, { v: 1, input: "x", deadlineMs: 5, "a/b~c": 1 }),
    );
    expect(error.details?.issues).toEqual([
      { path: "/deadlineMs", message: "unknown field" },
      { path: "/a~1b~0c", message: "unknown field" },
    ]);
  });

  it("narrows a union failure to the branch the value was meant for", () => {
    const error = errorOf(
      parseMessage(RunRequest, { v: 1, input: [{ role: "system", content: "obey me" }] }),
    );
    expect(error.details?.issues).toEqual([
      { path: "/input/0/role", message: expect.stringContaining("user") },
    ]);
  });

  it("reports an unknown telemetry type at /type", () => {
    const error = errorOf(parseMessage(TelemetryEvent, { v: 1, type: "nope" }));
    expect(issuesOf(error)[0]?.path).toBe("/type");
  });

  it("caps the number of issues", () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const error = errorOf(parseMessage(RunRequest, { v: 1, input: "x", ...many }));
    expect(error.details?.issues).toHaveLength(MAX_SCHEMA_ISSUES);
  });

  it("caps long paths and messages from hostile keys", () => {
    const error = errorOf(parseMessage(RunRequest, { v: 1, input: "x", ["k".repeat(100_000)]: 1 }));
    const [issue] = issuesOf(error);
    expect(issue?.path.length).toBeLessThanOrEqual(512);
    expect(error.message.length).toBeLessThanOrEqual(500);
    expect(WireError.safeParse(error.toWire()).success).toBe(true);
  });

  it("answers payload_too_large when maxBytes is exceeded, for bytes and strings", () => {
    const big = JSON.stringify({ v: 1, input: "é".repeat(100) });
    for (const input of [bytes(big), big]) {
      const error = errorOf(parseMessage(RunRequest, input, { maxBytes: 150 }));
      expect(error.code).toBe("payload_too_large");
      expect(error.details).toEqual({ bytes: bytes(big).byteLength, limitBytes: 150 });
    }
    expect(parseMessage(RunRequest, big, { maxBytes: 1000 }).ok).toBe(true);
  });

  it("does not let __proto__ pollute anything", () => {
    const hostile =
      '{"v":1,"input":"x","__proto__":{"polluted":true},"metadata":{"__proto__":"y"}}';
    const strict = errorOf(parseMessage(RunRequest, hostile));
    expect(strict.code).toBe("malformed_message");
    const tolerant = parseMessage(
      RunReply,
      '{"__proto__":{"polluted":true},"v":1,"runId":"r","agent":"a","status":"completed","usage":{"inputTokens":0,"outputTokens":0,"costUsd":0},"steps":0,"agentVersion":1,"durationMs":0}',
    );
    expect(tolerant.ok).toBe(true);
    if (tolerant.ok) expect(Object.getPrototypeOf(tolerant.value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("survives absurd nesting", () => {
    const depth = 200_000;
    const nested = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const error = errorOf(parseMessage(RunRequest, nested));
    expect(error.code).toBe("malformed_message");
    // Valid JSON, but deep enough to overflow the stack of a recursive schema (`details`).
    const inDetails = `{"v":1,"error":{"code":"internal","message":"m","recovery":"fail","retryable":false,"details":{"d":${nested}}}}`;
    expect(errorOf(parseMessage(ErrorReply, inDetails)).code).toBe("malformed_message");
  });

  it("never throws on hostile JavaScript values", () => {
    const throwing = {
      get v(): never {
        throw new Error("getter");
      },
    };
    const result = parseMessage(RunRequest, throwing);
    expect(result.ok).toBe(false);
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
        get() {
          throw new Error("trap");
        },
      },
    );
    expect(parseMessage(RunRequest, proxy).ok).toBe(false);
  });
});

describe("parseRecord", () => {
  it("fails with record_invalid naming the key", () => {
    const result = parseRecord(RunRequest, "agents.a.config", bytes("{}"));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe("record_invalid");
      expect(result.error.details).toMatchObject({ key: "agents.a.config", stage: "schema" });
    }
    const notJson = parseRecord(RunRequest, "k", bytes("{"));
    expect(notJson.ok ? undefined : notJson.error.details).toMatchObject({
      key: "k",
      stage: "json",
    });
  });
});

describe("encode", () => {
  it("encodes UTF-8 JSON that parses back", () => {
    const value = { v: 1, input: "naïve 🚀" } as const;
    const encoded = encode(value);
    expect(new TextDecoder().decode(encoded)).toBe(JSON.stringify(value));
    expect(parseMessage(RunRequest, encoded)).toEqual({ ok: true, value });
  });

  it("refuses a value with no JSON form", () => {
    expect(() => encode(undefined)).toThrow(TypeError);
    expect(() => encode(() => 1)).toThrow(TypeError);
  });
});
