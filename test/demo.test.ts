import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NodeProcess, ROOT } from "./support/spawn-node.ts";

describe("pnpm demo", () => {
  it("runs the whole loop to a verdict: finding, plan, merge, applied, improved", async () => {
    await using demo = new NodeProcess(join(ROOT, "packages", "demo", "src", "main.ts"), {
      PATINOX_DEMO_TIMEOUT_MS: "150000",
    });
    const { code } = await demo.exited;
    const output = demo.lines.join("\n");
    expect(code, output).toBe(0);
    expect(output).toMatch(/Analyze: finding tool_timeouts on lookup_order/);
    expect(output).toMatch(/Plan: tool_timeout — tools\.lookup_order\.timeoutMs: 250 → 1250/);
    // The proposal changes the one line and keeps the file's comments.
    expect(output).toMatch(/-\s+timeoutMs: 250\n.*\+\s+timeoutMs: 1250/);
    expect(output).toMatch(/# Set when the order system always answered within 100 ms\./);
    expect(output).toMatch(/status history: proposed → pr-open → merged → applied → verified/);
    expect(output).toMatch(/"verdict": "improved"/);
  }, 200_000);
});
