import { jsonPaths, REMOVE, replaceAt } from "@patinox/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WIRE_SCHEMAS, type WireSchemaName } from "./catalogue.ts";
import type { PatinoxError } from "./errors.ts";
import { WIRE_EXAMPLES } from "./examples.ts";
import { encode, parseMessage, type Result } from "./parse.ts";
import { ErrorReply, WireError } from "./wire-error.ts";

const SEED = 0x5eed;
const names = Object.keys(WIRE_SCHEMAS) as WireSchemaName[];
const utf8 = new TextEncoder();

/** Ok, or a structured `malformed_message` that is itself valid on the wire. */
function expectStructured(result: Result<unknown, PatinoxError>): void {
  if (result.ok) return;
  expect(result.error.code).toBe("malformed_message");
  const wire = result.error.toWire();
  expect(WireError.safeParse(wire).success).toBe(true);
  expect(ErrorReply.safeParse({ v: 1, error: wire }).success).toBe(true);
}

/** Whatever is accepted encodes and parses back to the same value. */
function expectRoundTrip(name: WireSchemaName, result: Result<unknown, PatinoxError>): void {
  if (!result.ok) return;
  const again = parseMessage(WIRE_SCHEMAS[name].schema, encode(result.value));
  expect(again).toEqual(result);
}

/** A valid example with one value replaced by random JSON, or removed. */
function mutatedExample(name: WireSchemaName): fc.Arbitrary<unknown> {
  const examples = WIRE_EXAMPLES[name] as readonly unknown[];
  return fc
    .constantFrom(...examples)
    .chain((example) =>
      fc.tuple(
        fc.constant(example),
        fc.constantFrom(...jsonPaths(example)),
        fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(REMOVE)),
      ),
    )
    .map(([example, path, replacement]) => replaceAt(example, path, replacement));
}

describe.each(names)("parseMessage(%s, …) on hostile input", (name) => {
  const { schema } = WIRE_SCHEMAS[name];

  it("never throws on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expectStructured(parseMessage(schema, bytes));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("never throws on random strings, as text or as bytes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 256 }), (text) => {
        expectStructured(parseMessage(schema, text));
        expectStructured(parseMessage(schema, utf8.encode(text)));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("never throws on random JSON values, decoded or encoded", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expectStructured(parseMessage(schema, value));
        expectStructured(parseMessage(schema, JSON.stringify(value)));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it("answers structured errors for mutated valid messages, and round-trips what it accepts", () => {
    fc.assert(
      fc.property(mutatedExample(name), (value) => {
        const result = parseMessage(schema, encode(value));
        expectStructured(result);
        expectRoundTrip(name, result);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
