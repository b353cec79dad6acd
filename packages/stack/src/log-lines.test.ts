import { describe, expect, it } from "vitest";
import { formatLogLine } from "./log-lines.ts";

describe("formatLogLine", () => {
  it("turns a service's JSON log line into one readable, prefixed line", () => {
    const line = JSON.stringify({
      level: "info",
      time: "2026-11-24T04:05:17.123Z",
      service: "execute",
      instance: "local-execute",
      healthPort: 8081,
      nats: ["nats://127.0.0.1:4222"],
      msg: "execute started",
    });
    expect(formatLogLine("execute", line, false)).toBe(
      'execute | 04:05:17 info  execute started healthPort=8081 nats=["nats://127.0.0.1:4222"]',
    );
  });

  it("passes lines that are not JSON objects through with the prefix", () => {
    expect(formatLogLine("plan", "    at main (file.ts:1:1)", false)).toBe(
      "plan    |     at main (file.ts:1:1)",
    );
    expect(formatLogLine("plan", "[1,2]", false)).toBe("plan    | [1,2]");
    expect(formatLogLine("plan", "", false)).toBe("plan    | ");
  });

  it("colours the service and the level only when asked", () => {
    const line = JSON.stringify({ level: "warn", msg: "slow" });
    expect(formatLogLine("monitor", line, true)).toContain("\x1b[");
    expect(formatLogLine("monitor", line, false)).not.toContain("\x1b[");
  });
});
