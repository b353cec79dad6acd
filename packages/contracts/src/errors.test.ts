import { describe, expect, it } from "vitest";
import { ERROR_CODES, ErrorCategory, ErrorSpecs, isErrorCode, Recovery } from "./error-codes.ts";
import {
  fromWireError,
  INTERNAL_ERROR_MESSAGE,
  PatinoxError,
  toPatinoxError,
  toWireError,
} from "./errors.ts";
import type { JsonObject } from "./json.ts";
import { ErrorReply, MAX_ERROR_MESSAGE_LENGTH, WireError } from "./wire-error.ts";

describe("error taxonomy", () => {
  it("has a complete spec for every code, and no spec without a code", () => {
    expect(Object.keys(ErrorSpecs).sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      const spec = ErrorSpecs[code];
      expect(Object.values(ErrorCategory)).toContain(spec.category);
      expect(Object.values(Recovery)).toContain(spec.recovery);
      expect(typeof spec.retryable).toBe("boolean");
      expect(spec.natsServiceCode).toBeGreaterThanOrEqual(400);
      expect(spec.natsServiceCode).toBeLessThan(600);
      expect(spec.description.length).toBeGreaterThan(10);
      expect(spec.description).not.toContain("\n");
    }
  });

  it("covers the conditions the services report", () => {
    for (const code of [
      "malformed_message",
      "invalid_name",
      "unknown_agent",
      "payload_too_large",
      "deadline_exceeded",
      "overloaded",
      "cancelled",
      "budget_exhausted",
      "rate_limited",
      "validation_rejected",
      "model_failure",
      "tool_failure",
      "config_invalid",
      "record_invalid",
      "conflict",
      "not_found",
      "unavailable",
      "permission_denied",
      "internal",
    ]) {
      expect(isErrorCode(code)).toBe(true);
    }
    expect(isErrorCode("max_steps")).toBe(false);
    expect(isErrorCode("toString")).toBe(false);
  });

  it("follows the seed's mapping where it applies", () => {
    expect(ErrorSpecs.validation_rejected.recovery).toBe("retry");
    expect(ErrorSpecs.model_failure.recovery).toBe("fallback");
    expect(ErrorSpecs.unavailable.recovery).toBe("circuit-break");
    for (const code of ERROR_CODES) {
      if (ErrorSpecs[code].category === "configuration")
        expect(ErrorSpecs[code].recovery).toBe("fail");
    }
  });

  it("marks the load-shedding codes retryable", () => {
    for (const code of ["overloaded", "rate_limited", "budget_exhausted", "unavailable"] as const) {
      expect(ErrorSpecs[code].retryable).toBe(true);
    }
    for (const code of [
      "malformed_message",
      "invalid_name",
      "unknown_agent",
      "internal",
    ] as const) {
      expect(ErrorSpecs[code].retryable).toBe(false);
    }
  });
});

describe("PatinoxError", () => {
  it("takes recovery, retryability and the NATS code from the code's spec", () => {
    const cause = new Error("socket closed");
    const error = new PatinoxError("overloaded", "agent support is full", {
      retryAfterMs: 250,
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("PatinoxError");
    expect(error.code).toBe("overloaded");
    expect(error.category).toBe("execution");
    expect(error.recovery).toBe("retry");
    expect(error.retryable).toBe(true);
    expect(error.natsServiceCode).toBe(503);
    expect(error.retryAfterMs).toBe(250);
    expect(error.cause).toBe(cause);
  });

  it("goes on the wire as data: no stack, no cause", () => {
    const error = new PatinoxError("tool_failure", "lookup_order failed", {
      details: { tool: "lookup_order" },
      cause: new Error("secret-token-123"),
    });
    const wire = error.toWire();
    expect(wire).toEqual({
      code: "tool_failure",
      message: "lookup_order failed",
      recovery: "fallback",
      retryable: true,
      details: { tool: "lookup_order" },
    });
    expect(JSON.stringify(wire)).not.toContain("secret-token-123");
    expect(WireError.parse(wire)).toEqual(wire);
    expect(ErrorReply.safeParse({ v: 1, error: wire }).success).toBe(true);
  });

  it("caps the message and drops details that are not JSON-safe or too large", () => {
    const long = new PatinoxError("internal", "x".repeat(5000)).toWire();
    expect(long.message).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);

    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const withCycle = new PatinoxError("internal", "m", { details: cyclic as JsonObject }).toWire();
    expect(withCycle.details).toHaveProperty("dropped");

    const bigint = new PatinoxError("internal", "m", {
      details: { n: 1n } as unknown as JsonObject,
    }).toWire();
    expect(bigint.details).toHaveProperty("dropped");

    const fractional = new PatinoxError("overloaded", "m", { retryAfterMs: 12.2 }).toWire();
    expect(fractional.retryAfterMs).toBe(13);
    const negative = new PatinoxError("overloaded", "m", { retryAfterMs: -5 }).toWire();
    expect(negative.retryAfterMs).toBe(0);

    const huge = new PatinoxError("internal", "m", {
      details: { blob: "x".repeat(20_000) },
    }).toWire();
    expect(huge.details).toHaveProperty("dropped");
    expect(WireError.safeParse(huge).success).toBe(true);
  });
});

describe("toWireError", () => {
  it.each([
    new Error("postgres://admin:hunter2@db/prod refused"),
    new TypeError("Cannot read properties of undefined (reading 'apiKey=sk-live-abc')"),
    "sk-live-abc",
    { message: "sk-live-abc", code: "overloaded" },
    null,
    undefined,
    42,
  ])("never leaks what an unknown error says: %j", (thrown) => {
    const wire = toWireError(thrown);
    expect(wire).toEqual({
      code: "internal",
      message: INTERNAL_ERROR_MESSAGE,
      recovery: "fail",
      retryable: false,
    });
    expect(JSON.stringify(wire)).not.toMatch(/hunter2|sk-live|apiKey/);
  });

  it("keeps a PatinoxError's own message and details", () => {
    const wire = toWireError(
      new PatinoxError("unknown_agent", "no agent named nobody", { details: { agent: "nobody" } }),
    );
    expect(wire.code).toBe("unknown_agent");
    expect(wire.message).toBe("no agent named nobody");
    expect(wire.details).toEqual({ agent: "nobody" });
  });

  it("normalises anything into a PatinoxError that keeps the cause for the logs", () => {
    const original = new Error("boom");
    const normalised = toPatinoxError(original);
    expect(normalised.code).toBe("internal");
    expect(normalised.cause).toBe(original);
    const known = new PatinoxError("conflict", "lost");
    expect(toPatinoxError(known)).toBe(known);
  });
});

describe("fromWireError", () => {
  it("round-trips every code through the wire", () => {
    for (const code of ERROR_CODES) {
      const original = new PatinoxError(code, `about ${code}`, {
        details: { n: 1 },
        retryAfterMs: 10,
      });
      const back = fromWireError(WireError.parse(JSON.parse(JSON.stringify(original.toWire()))));
      expect(back).toBeInstanceOf(PatinoxError);
      expect(back.code).toBe(code);
      expect(back.message).toBe(`about ${code}`);
      expect(back.recovery).toBe(ErrorSpecs[code].recovery);
      expect(back.retryable).toBe(ErrorSpecs[code].retryable);
      expect(back.details).toEqual({ n: 1 });
      expect(back.retryAfterMs).toBe(10);
    }
  });
});
