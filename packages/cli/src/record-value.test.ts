import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.ts";
import { checkKey } from "./knowledge-bucket.ts";
import { decodeRecordValue } from "./record-value.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("decodeRecordValue", () => {
  it("parses JSON, which is what Patinox writes", () => {
    expect(decodeRecordValue(bytes('{"a":[1,2]}'))).toEqual({
      format: "json",
      value: { a: [1, 2] },
    });
    expect(decodeRecordValue(bytes("42"))).toEqual({ format: "json", value: 42 });
  });

  it("shows other UTF-8 as text rather than failing", () => {
    expect(decodeRecordValue(bytes("hello, wörld"))).toEqual({
      format: "text",
      value: "hello, wörld",
    });
    expect(decodeRecordValue(new Uint8Array())).toEqual({ format: "text", value: "" });
  });

  it("shows bytes that are not UTF-8 as base64", () => {
    expect(decodeRecordValue(new Uint8Array([0xff, 0xfe, 0x00]))).toEqual({
      format: "binary",
      value: "//4A",
    });
  });
});

describe("checkKey", () => {
  it.each(["a", "agents.support.config", "metrics.a-b.w_1", "x/y=z"])(
    "accepts the key %j",
    (key) => {
      expect(() => checkKey(key, "key")).not.toThrow();
    },
  );

  it.each(["", "a b", "a..b", ".a", "a.", "a.*", "a.>"])(
    "rejects the key %j as a usage error",
    (key) => {
      expect(() => checkKey(key, "key")).toThrow(UsageError);
    },
  );

  it.each([">", "agents.*.config", "metrics.>", "*"])("accepts the filter %j", (filter) => {
    expect(() => checkKey(filter, "filter")).not.toThrow();
  });

  it.each(["a.>.b", "a b", "a.", "a*"])("rejects the filter %j", (filter) => {
    expect(() => checkKey(filter, "filter")).toThrow(/invalid filter/);
  });
});
