import { describe, expect, it } from "vitest";
import { type AgentValidators, buildValidators, type ValidatorSource } from "./build.ts";
import { ValidatorCache } from "./cache.ts";
import { definitionWith } from "./test-support/definitions.ts";

/** A cache whose builds are counted. */
function countingCache(maxEntries?: number) {
  const built: string[] = [];
  const cache = new ValidatorCache({
    ...(maxEntries === undefined ? {} : { maxEntries }),
    build: (definition: ValidatorSource): AgentValidators => {
      built.push(definition.name);
      return buildValidators(definition);
    },
  });
  return { cache, built };
}

const support = definitionWith(
  { output: [{ kind: "output_max_length", maxChars: 10 }] },
  "support",
);
const billing = definitionWith({}, "billing");

describe("ValidatorCache", () => {
  it("builds a version once and returns the same validators for every later request", () => {
    const { cache, built } = countingCache();

    const first = cache.get({ version: 3, definition: support });
    const again = cache.get({ version: 3, definition: support });

    expect(again).toBe(first);
    expect(built).toEqual(["support"]);
    expect(first.validateOutput("0123456789x").verdict).toBe("retry");
  });

  it("keys on (agent, version): a new version or another agent is built anew", () => {
    const { cache, built } = countingCache();

    const v3 = cache.get({ version: 3, definition: support });
    const v4 = cache.get({ version: 4, definition: support });
    const other = cache.get({ version: 3, definition: billing });

    expect(new Set([v3, v4, other]).size).toBe(3);
    expect(built).toEqual(["support", "support", "billing"]);
    expect(cache.size).toBe(3);
  });

  it("evicts the least recently used version past its size", () => {
    const { cache, built } = countingCache(2);

    cache.get({ version: 1, definition: support });
    cache.get({ version: 2, definition: support });
    cache.get({ version: 1, definition: support });
    cache.get({ version: 3, definition: support });
    cache.get({ version: 1, definition: support });
    cache.get({ version: 2, definition: support });

    // 1 was used after 2, so 2 went when 3 came in and is built again.
    expect(built).toHaveLength(4);
    expect(cache.size).toBe(2);
  });

  it("forgets one version, or every version of an agent", () => {
    const { cache, built } = countingCache();
    cache.get({ version: 1, definition: support });
    cache.get({ version: 2, definition: support });
    cache.get({ version: 1, definition: billing });

    cache.delete("support", 1);
    expect(cache.size).toBe(2);
    cache.delete("support");
    expect(cache.size).toBe(1);
    cache.get({ version: 1, definition: billing });
    expect(built).toHaveLength(3);
  });

  it("does not cache a version that fails to build", () => {
    let attempts = 0;
    const cache = new ValidatorCache({
      build: () => {
        attempts += 1;
        throw new Error("does not compile");
      },
    });

    expect(() => cache.get({ version: 1, definition: support })).toThrow("does not compile");
    expect(() => cache.get({ version: 1, definition: support })).toThrow("does not compile");
    expect(attempts).toBe(2);
    expect(cache.size).toBe(0);
  });

  it("builds with buildValidators by default", () => {
    const validators = new ValidatorCache().get({ version: 1, definition: support });

    expect(validators.output.validators.map((v) => v.kind)).toEqual(["output_max_length"]);
  });
});
