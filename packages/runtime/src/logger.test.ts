import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { Secret } from "./secret.ts";
import { MemoryLog } from "./test-support/memory-log.ts";

function logger(level = "info") {
  const log = new MemoryLog();
  return {
    log,
    logger: createLogger({ service: "execute", instanceId: "exec-1", level, destination: log }),
  };
}

describe("createLogger", () => {
  it("writes one JSON object per line, each with the service, instance, level and time", () => {
    const { log, logger: l } = logger();

    l.info({ runId: "r-1" }, "run started");
    l.warn("slow");

    expect(log.lines).toHaveLength(2);
    const [first, second] = log.records();
    expect(first).toMatchObject({
      service: "execute",
      instance: "exec-1",
      level: "info",
      runId: "r-1",
      msg: "run started",
    });
    expect(second).toMatchObject({ service: "execute", instance: "exec-1", level: "warn" });
    expect(new Date(String(first?.time)).toISOString()).toBe(first?.time);
  });

  it("redacts credentials at the top level", () => {
    const { log, logger: l } = logger();

    l.info(
      {
        password: "pw-top",
        pass: "pass-top",
        token: "tok-top",
        apiKey: "key-top",
        authorization: "Bearer auth-top",
        seed: "SUAseed-top",
      },
      "connecting",
    );

    expect(log.records()[0]).toMatchObject({
      password: "[redacted]",
      pass: "[redacted]",
      token: "[redacted]",
      apiKey: "[redacted]",
      authorization: "[redacted]",
      seed: "[redacted]",
    });
    expect(log.text).not.toMatch(/-top/);
  });

  it("redacts credentials one level down and authorization headers", () => {
    const { log, logger: l } = logger();

    l.info(
      {
        nats: { user: "alice", password: "pw-nested", token: "tok-nested" },
        openai: { apiKey: "key-nested" },
        headers: { authorization: "Bearer hdr-top", accept: "json" },
        request: { headers: { authorization: "Bearer hdr-nested" }, method: "POST" },
      },
      "calling",
    );

    expect(log.records()[0]).toMatchObject({
      nats: { user: "alice", password: "[redacted]", token: "[redacted]" },
      openai: { apiKey: "[redacted]" },
      headers: { authorization: "[redacted]", accept: "json" },
      request: { headers: { authorization: "[redacted]" }, method: "POST" },
    });
    expect(log.text).not.toMatch(/-nested|hdr-top/);
  });

  it("prints a Secret under any name as [redacted]", () => {
    const { log, logger: l } = logger();

    l.info({ githubCredential: new Secret("ghp_abc123") }, "configured");

    expect(log.records()[0]?.githubCredential).toBe("[redacted]");
    expect(log.text).not.toContain("ghp_abc123");
  });

  it("writes nothing below its level, and nothing at all when silent", () => {
    const info = logger("info");
    const silent = logger("silent");

    info.logger.debug("hidden");
    info.logger.error("shown");
    silent.logger.fatal("hidden too");

    expect(info.log.records().map((r) => r.msg)).toEqual(["shown"]);
    expect(silent.log.lines).toEqual([]);
  });
});
