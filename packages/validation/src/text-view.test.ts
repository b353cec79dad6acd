import type { ChatMessage, JsonValue } from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { inputView, outputView, toolCallView } from "./text-view.ts";

const shout = (text: string) => text.toUpperCase();

describe("inputView", () => {
  const messages: ChatMessage[] = [
    { role: "user", content: "hello" },
    { role: "assistant", content: "HI" },
  ];

  it("reads a text, or each message's content, but never the roles", () => {
    expect(inputView.texts("plain")).toEqual(["plain"]);
    expect(inputView.texts(messages)).toEqual(["hello", "HI"]);
  });

  it("rewrites message contents, keeps roles, and reuses untouched messages", () => {
    const rewritten = inputView.rewrite(messages, shout) as ChatMessage[];

    expect(rewritten).toEqual([
      { role: "user", content: "HELLO" },
      { role: "assistant", content: "HI" },
    ]);
    expect(rewritten[1]).toBe(messages[1]);
    expect(messages[0]?.content).toBe("hello");
  });

  it("returns the same array when nothing changed", () => {
    expect(inputView.rewrite(messages, (t) => t)).toBe(messages);
  });

  it("measures UTF-8 bytes of the contents", () => {
    expect(inputView.byteLength("é")).toBe(2);
    expect(inputView.byteLength(messages)).toBe(7);
  });
});

describe("outputView", () => {
  it("reads, rewrites and measures the text", () => {
    expect(outputView.texts("out")).toEqual(["out"]);
    expect(outputView.rewrite("out", shout)).toBe("OUT");
    expect(outputView.byteLength("😀")).toBe(4);
  });
});

describe("toolCallView", () => {
  const call = {
    tool: "search",
    arguments: { query: "cats", filters: [{ tag: "pets" }, 3, null, true] },
  };

  it("reads every key and string value", () => {
    expect([...toolCallView.texts(call)].sort()).toEqual(
      ["query", "cats", "filters", "tag", "pets"].sort(),
    );
  });

  it("rewrites string values only, sharing untouched branches", () => {
    const rewritten = toolCallView.rewrite(call, (t) => (t === "pets" ? "PETS" : t));

    expect(rewritten).toEqual({
      tool: "search",
      arguments: { query: "cats", filters: [{ tag: "PETS" }, 3, null, true] },
    });
    expect(call.arguments.filters[0]).toEqual({ tag: "pets" });
    expect(toolCallView.rewrite(call, (t) => t)).toBe(call);
  });

  it("keeps a __proto__ key from JSON as a key, never as the prototype", () => {
    const args = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": "x"}') as JsonValue;

    const rewritten = toolCallView.rewrite({ tool: "t", arguments: args }, shout).arguments;

    expect(Object.getPrototypeOf(rewritten)).toBe(Object.prototype);
    expect(Object.hasOwn(rewritten as object, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("measures the arguments as serialised JSON", () => {
    expect(toolCallView.byteLength({ tool: "t", arguments: { a: "é" } })).toBe(
      Buffer.byteLength('{"a":"é"}'),
    );
  });

  it("reads deeply nested arguments without overflowing the stack", () => {
    let deep: JsonValue = "bottom";
    for (let i = 0; i < 100_000; i += 1) deep = [deep];

    expect(toolCallView.texts({ tool: "t", arguments: deep })).toEqual(["bottom"]);
    expect(toolCallView.byteLength({ tool: "t", arguments: deep })).toBe(Number.POSITIVE_INFINITY);
  });
});
