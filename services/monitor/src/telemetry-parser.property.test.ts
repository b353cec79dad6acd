import { parseMessage, TelemetryEvent, WIRE_EXAMPLES } from "@patinox/contracts";
import { jsonPaths, REMOVE, replaceAt } from "@patinox/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTelemetryCheck, createTelemetryParser } from "./telemetry-parser.ts";

const parse = createTelemetryParser();
const isEvent = compileTelemetryCheck();
const utf8 = new TextEncoder();
const examples = WIRE_EXAMPLES.TelemetryEvent as readonly Record<string, unknown>[];

/** Values that sit on the edges the two validators could disagree about. */
const edgy = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  // Lengths around the limits (64, 128, 200, 500), in units that differ between UTF-16 code
  // units and code points, and control characters.
  fc.string({ unit: "grapheme", minLength: 60, maxLength: 210 }),
  fc.string({ unit: "binary", maxLength: 130 }),
  // Astral characters: two UTF-16 code units each, so code-unit and code-point lengths differ.
  fc
    .array(fc.constantFrom("😀", "a", "é"), { minLength: 90, maxLength: 260 })
    .map((chars) => chars.join("")),
  fc.stringMatching(/^[A-Za-z0-9_-]{60,70}$/),
  fc.stringMatching(
    /^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-6]\d:[0-6]\d(\.\d{1,4})?(Z|[+-][0-2]\d:[0-6]\d)?$/,
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: -2, max: 2 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(9007199254740991, 9007199254740992, 1e300, -0, 0.5, 1, true, null),
  fc.constantFrom("run.completed", "model.call", "tool.call", "breaker.state", "nope"),
  fc.constant(REMOVE),
);

/** A valid event of any type with up to three values replaced, removed or added. */
const events = fc
  .tuple(fc.constantFrom(...examples), fc.integer({ min: 0, max: 3 }))
  .chain(([example, edits]) =>
    fc.tuple(
      fc.constant(example as unknown),
      fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(...jsonPaths(example)),
            fc.string({ maxLength: 8 }).map((k) => [k]),
          ),
          edgy,
        ),
        { minLength: edits, maxLength: edits },
      ),
    ),
  )
  .map(([example, edits]) =>
    edits.reduce((value, [path, replacement]) => replaceAt(value, path, replacement), example),
  );

describe("createTelemetryParser", () => {
  it("has zod's verdict on valid and mutated events of every type, and zod's values", () => {
    let accepted = 0;
    fc.assert(
      fc.property(events, (value) => {
        const bytes = utf8.encode(JSON.stringify(value));
        const fast = parse(bytes);
        const zod = parseMessage(TelemetryEvent, bytes);
        // ajv alone, not only the parser (which falls back to zod): every valid event takes
        // the fast path, and no invalid one does.
        expect(isEvent(JSON.parse(JSON.stringify(value)))).toBe(zod.ok);
        expect(fast.ok).toBe(zod.ok);
        if (fast.ok && zod.ok) {
          accepted += 1;
          // The same event; unknown fields, which zod strips, may remain.
          expect(fast.value).toMatchObject(zod.value);
        } else if (!fast.ok && !zod.ok) {
          expect(fast.error.toWire()).toEqual(zod.error.toWire());
        }
      }),
      { numRuns: 3_000, seed: 0x7e1e },
    );
    // The generator reaches both sides of the verdict.
    expect(accepted).toBeGreaterThan(300);
  });

  it("gives zod's structured error for bytes that are not an event", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const fast = parse(bytes);
        const zod = parseMessage(TelemetryEvent, bytes);
        expect(fast.ok).toBe(zod.ok);
        if (!fast.ok && !zod.ok) expect(fast.error.toWire()).toEqual(zod.error.toWire());
      }),
      { numRuns: 500, seed: 0x7e1f },
    );
  });

  it("counts a string's length as zod 4 does, in code points", () => {
    const modelCall = examples.find((e) => e.type === "model.call");
    for (const [model, ok] of [
      ["😀".repeat(200), true],
      ["😀".repeat(201), false],
      ["a".repeat(200), true],
      ["a".repeat(201), false],
    ] as const) {
      const bytes = utf8.encode(JSON.stringify({ ...modelCall, model }));
      expect(isEvent(JSON.parse(JSON.stringify({ ...modelCall, model }))), model).toBe(ok);
      expect(parseMessage(TelemetryEvent, bytes).ok).toBe(ok);
    }
  });

  it("has zod's verdict on number literals JSON.stringify never writes (1e400 is Infinity)", () => {
    const literals = ["1e400", "-1e400", "1e308", "1e21", "-0", "0.0", "1.0", "2.5", "1e-400"];
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.constantFrom(...literals),
        fc.nat(),
        (example, literal, pick) => {
          // Replace one number in the example's JSON text by the literal, as a publisher could.
          const text = JSON.stringify(example);
          const numbers = [...text.matchAll(/(?<=:)-?\d[\d.eE+-]*/g)];
          const at = numbers[pick % Math.max(1, numbers.length)];
          if (at?.index === undefined) return;
          const edited = text.slice(0, at.index) + literal + text.slice(at.index + at[0].length);
          const zod = TelemetryEvent.safeParse(JSON.parse(edited)).success;
          expect(isEvent(JSON.parse(edited)), edited).toBe(zod);
          expect(parse(utf8.encode(edited)).ok).toBe(zod);
        },
      ),
      { numRuns: 1_000, seed: 0x7e20 },
    );
  });

  it("keeps every example as it is", () => {
    for (const example of examples) {
      const result = parse(utf8.encode(JSON.stringify(example)));
      expect(result).toEqual({ ok: true, value: example });
    }
  });
});
