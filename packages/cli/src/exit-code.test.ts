import { EXIT_CONFIG } from "@patinox/runtime";
import { describe, expect, it } from "vitest";
import { ExitCode } from "./exit-code.ts";

describe("ExitCode", () => {
  it("uses the services' status for bad configuration, so supervisors treat both alike", () => {
    expect(ExitCode.Config).toBe(EXIT_CONFIG);
  });

  it("gives every condition its own status", () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
  });
});
