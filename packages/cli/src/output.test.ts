import { describe, expect, it } from "vitest";
import {
  formatBytes,
  formatDuration,
  jsonLine,
  renderChange,
  renderRecord,
  renderStatus,
  renderTable,
} from "./output.ts";
import type { StatusReport } from "./status.ts";

describe("renderTable", () => {
  it("aligns columns two spaces apart without trailing blanks", () => {
    expect(
      renderTable(
        ["A", "LONGER"],
        [
          ["xxxx", "1"],
          ["y", ""],
        ],
      ),
    ).toBe("A     LONGER\nxxxx  1\ny");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [45_900, "45s"],
    [192_000, "3m 12s"],
    [3_725_000, "1h 02m"],
    [3 * 86_400_000 + 4 * 3_600_000, "3d 4h"],
    [-5, "0s"],
  ])("%d ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [12 * 1024 * 1024, "12.0 MiB"],
  ])("%d bytes reads %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

const report: StatusReport = {
  server: "127.0.0.1:4222",
  prefix: "patinox",
  services: [
    {
      name: "execute",
      instance: "pod-a",
      id: "ID1",
      version: "0.1.0",
      startedAt: "2026-01-01T00:00:00.000Z",
      uptimeMs: 192_000,
      endpoints: [
        { name: "run", subject: "patinox.agent.*.run" },
        { name: "status", subject: "patinox.svc.execute.status" },
      ],
      metadata: { instance: "pod-a", prefix: "patinox", bucket: "patinox" },
    },
  ],
  missing: ["monitor", "analyze", "plan"],
  others: [],
  knowledge: {
    found: true,
    bucket: "patinox",
    values: 3,
    bytes: 2048,
    history: 10,
    replicas: 1,
    storage: "file",
  },
};

describe("renderStatus", () => {
  it("lists each endpoint on its own row, names the missing services and shows the bucket", () => {
    expect(renderStatus(report, 1000)).toBe(
      [
        "NATS 127.0.0.1:4222, prefix patinox",
        "",
        "SERVICE  INSTANCE  VERSION  UPTIME  ENDPOINT  SUBJECT",
        "execute  pod-a     0.1.0    3m 12s  run       patinox.agent.*.run",
        "                                    status    patinox.svc.execute.status",
        "",
        "Missing: monitor, analyze, plan (no answer to $SRV discovery within 1000 ms).",
        "",
        "KNOWLEDGE  VALUES  SIZE     HISTORY  REPLICAS  STORAGE",
        "patinox    3       2.0 KiB  10       1         file",
        "",
      ].join("\n"),
    );
  });

  it("says how a missing bucket comes to exist", () => {
    const text = renderStatus(
      {
        ...report,
        missing: [],
        knowledge: {
          found: false,
          bucket: "patinox",
          reason: 'knowledge bucket "patinox" does not exist: start one',
        },
      },
      1000,
    );
    expect(text).toContain("All four Patinox services are answering.");
    expect(text).toContain('Knowledge bucket "patinox" does not exist: start one\n');
  });
});

describe("renderRecord and renderChange", () => {
  it("pretty-prints a JSON value under its revision and creation time", () => {
    const text = renderRecord({
      key: "a.b",
      revision: 7,
      created: "2026-01-01T00:00:00.000Z",
      format: "json",
      value: { x: 1 },
    });
    expect(text).toContain("a.b  7         2026-01-01T00:00:00.000Z  json");
    expect(text.endsWith('{\n  "x": 1\n}\n')).toBe(true);
  });

  it("writes one line per change, the value compact", () => {
    const created = "2026-01-01T00:00:00.000Z";
    expect(
      renderChange({
        kind: "put",
        key: "k",
        revision: 2,
        created,
        format: "json",
        value: { x: [1] },
      }),
    ).toBe(`${created}  put     k  rev 2  {"x":[1]}\n`);
    expect(
      renderChange({
        kind: "put",
        key: "k",
        revision: 3,
        created,
        format: "text",
        value: "two\nlines",
      }),
    ).toBe(`${created}  put     k  rev 3  "two\\nlines"\n`);
    expect(renderChange({ kind: "delete", key: "k", revision: 4, created })).toBe(
      `${created}  delete  k  rev 4\n`,
    );
  });

  it("writes JSON lines as single lines", () => {
    expect(jsonLine({ a: { b: 1 } })).toBe('{"a":{"b":1}}\n');
  });
});
