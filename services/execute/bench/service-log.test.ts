import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { summariseServiceLog } from "./service-log.ts";

describe("summariseServiceLog", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("counts finished runs, warnings, errors and lines that are not log records", async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-log-"));
    const file = join(dir, "execute.log");
    await writeFile(
      file,
      [
        '{"level":"info","msg":"execute started"}',
        '{"level":"info","msg":"run finished"}',
        '{"level":30,"msg":"run finished"}',
        '{"level":"warn","msg":"telemetry event dropped"}',
        '{"level":50,"msg":"run failed unexpectedly"}',
        "(node:1) MaxListenersExceededWarning: …",
        "",
      ].join("\n"),
    );
    const summary = await summariseServiceLog(file);
    expect(summary).toMatchObject({ runsFinished: 2, warnings: 1, errors: 1, otherLines: 1 });
    expect(summary.samples).toHaveLength(3);
  });
});
