import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.ts";
import {
  DEFAULT_DISCOVERY_TIMEOUT_MS,
  hoistGlobalOptions,
  parseTimeout,
  readGlobalOptions,
} from "./global-options.ts";

describe("hoistGlobalOptions", () => {
  it("moves options written before the command to after it", () => {
    expect(hoistGlobalOptions(["--json", "--server", "nats://h:4222", "kv", "get", "a.b"])).toEqual(
      ["kv", "get", "a.b", "--json", "--server", "nats://h:4222"],
    );
  });

  it("leaves arguments after the command in place", () => {
    expect(hoistGlobalOptions(["status", "--json", "--timeout", "50"])).toEqual([
      "status",
      "--json",
      "--timeout",
      "50",
    ]);
  });

  it("keeps everything after -- last, so a key may start with a dash", () => {
    expect(hoistGlobalOptions(["--json", "kv", "get", "--", "-odd"])).toEqual([
      "kv",
      "get",
      "--json",
      "--",
      "-odd",
    ]);
  });

  it("keeps --option=value forms whole", () => {
    expect(hoistGlobalOptions(["--bucket=other", "kv", "ls"])).toEqual([
      "kv",
      "ls",
      "--bucket=other",
    ]);
  });
});

describe("parseTimeout", () => {
  it("defaults to one second when absent", () => {
    expect(parseTimeout(undefined)).toBe(DEFAULT_DISCOVERY_TIMEOUT_MS);
    expect(DEFAULT_DISCOVERY_TIMEOUT_MS).toBe(1000);
  });

  it("takes a whole number of milliseconds", () => {
    expect(parseTimeout("250")).toBe(250);
    expect(parseTimeout(" 5000 ")).toBe(5000);
  });

  it.each(["", "0", "-5", "1.5", "1e3", "soon", "600001"])(
    "rejects %j as a usage error naming --timeout",
    (raw) => {
      expect(() => parseTimeout(raw)).toThrow(UsageError);
      expect(() => parseTimeout(raw)).toThrow(/--timeout/);
    },
  );
});

describe("readGlobalOptions", () => {
  it("leaves unset overrides out, so the environment applies", () => {
    expect(readGlobalOptions({})).toEqual({ json: false, timeoutMs: 1000 });
    expect(
      readGlobalOptions({ json: true, server: "nats://x:1", bucket: "b", timeout: "20" }),
    ).toEqual({
      json: true,
      server: "nats://x:1",
      bucket: "b",
      timeoutMs: 20,
    });
  });
});
