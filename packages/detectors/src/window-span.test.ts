import { describe, expect, it } from "vitest";
import { windowAt } from "./test-support/windows.ts";
import { addUp } from "./window-span.ts";

describe("addUp", () => {
  it("adds up tools and validators named like Object.prototype's members", () => {
    const counts = {
      runs: 4,
      tools: { constructor: { calls: 2, errors: 1 }, toString: { calls: 1 } },
      rejected: { constructor: 1, valueOf: 2 },
    };
    const span = addUp([windowAt(0, counts), windowAt(1, counts)]);
    expect(span.tools.constructor).toEqual({ calls: 4, errors: 2, timeouts: 0, invalidArgs: 0 });
    expect(span.tools.toString).toEqual({ calls: 2, errors: 0, timeouts: 0, invalidArgs: 0 });
    expect({ ...span.rejectedByValidator }).toEqual({ constructor: 2, valueOf: 4 });
  });
});
