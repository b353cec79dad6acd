import { format, inspect } from "node:util";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Secret } from "./secret.ts";
import { MemoryLog } from "./test-support/memory-log.ts";

const VALUE = "sk-live-7c1e9b";

describe("Secret", () => {
  const secret = new Secret(VALUE);

  it("reveals its value when asked", () => {
    expect(secret.reveal()).toBe(VALUE);
  });

  it("prints as [redacted] through String, concatenation and template literals", () => {
    expect(String(secret)).toBe("[redacted]");
    expect(`key=${secret}`).toBe("key=[redacted]");
    expect(`${"key="}${secret}`).not.toContain(VALUE);
  });

  it("serialises as [redacted] with JSON.stringify, however deeply nested", () => {
    const json = JSON.stringify({ openai: { apiKey: secret }, keys: [secret, { inner: secret }] });

    expect(JSON.parse(json)).toEqual({
      openai: { apiKey: "[redacted]" },
      keys: ["[redacted]", { inner: "[redacted]" }],
    });
  });

  it("inspects as [redacted], alone and inside objects", () => {
    expect(inspect(secret)).toBe("[redacted]");
    expect(inspect({ config: { token: secret } }, { depth: 5, showHidden: true })).not.toContain(
      VALUE,
    );
    expect(format("%s %o %O %j", secret, secret, { secret }, { secret })).not.toContain(VALUE);
  });

  it("has no enumerable fields that spread or Object.entries could leak", () => {
    expect({ ...secret }).toEqual({});
    expect(Object.entries(secret)).toEqual([]);
  });

  it("prints as [redacted] through a pino logger with no redaction configured", () => {
    const log = new MemoryLog();
    const logger = pino({ base: null }, log);

    logger.info({ credential: secret, nested: { list: [secret] } }, "connecting");

    expect(log.records()).toEqual([
      expect.objectContaining({
        credential: "[redacted]",
        nested: { list: ["[redacted]"] },
        msg: "connecting",
      }),
    ]);
    expect(log.text).not.toContain(VALUE);
  });
});
