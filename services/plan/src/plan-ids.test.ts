import { describe, expect, it } from "vitest";
import { branchFor, planIdFor, revertPlanIdFor } from "./plan-ids.ts";

describe("plan ids and branches", () => {
  it("are the same on every replica and fit a name token", () => {
    expect(planIdFor("tool_timeouts-3fa2b1c4d5e6f708", 1)).toBe("tool_timeouts-3fa2b1c4d5e6f708-1");
    const long = planIdFor("x".repeat(64), 12);
    expect(long).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(long.endsWith("-12")).toBe(true);
    expect(planIdFor("x".repeat(64), 12)).toBe(long);
    expect(planIdFor(`${"x".repeat(63)}y`, 12)).not.toBe(long);
    expect(revertPlanIdFor(long)).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it("name the branch after agent, kind and fingerprint, without repeating the kind", () => {
    expect(branchFor("support", "tool_timeouts", "tool_timeouts-3fa2", 1)).toBe(
      "patinox/support/tool_timeouts-3fa2",
    );
    expect(branchFor("support", "tool_timeouts", "fp", 1)).toBe("patinox/support/tool_timeouts-fp");
    expect(branchFor("support", "tool_timeouts", "fp", 2)).toBe(
      "patinox/support/tool_timeouts-fp-2",
    );
  });
});
