import { describe, expect, it } from "vitest";
import { jsonPaths, REMOVE, replaceAt } from "./json-edits.ts";

describe("json edits", () => {
  const value = { a: 1, b: [true, { c: "x" }] };

  it("lists every path, the root first", () => {
    expect(jsonPaths(value)).toEqual([[], ["a"], ["b"], ["b", 0], ["b", 1], ["b", 1, "c"]]);
  });

  it("replaces or removes at a path and leaves the original alone", () => {
    expect(replaceAt(value, ["b", 1, "c"], 7)).toEqual({ a: 1, b: [true, { c: 7 }] });
    expect(replaceAt(value, ["a"], REMOVE)).toEqual({ b: [true, { c: "x" }] });
    expect(replaceAt(value, [], REMOVE)).toBeNull();
    expect(value).toEqual({ a: 1, b: [true, { c: "x" }] });
  });
});
