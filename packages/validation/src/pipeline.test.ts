import { describe, expect, it } from "vitest";
import { MAX_REASON_LENGTH } from "./outcome.ts";
import { ValidationPipeline } from "./pipeline.ts";
import { fakeValidator } from "./test-support/fake-validator.ts";
import { Verdict } from "./verdict.ts";

/** A clock that advances 2 ms on every reading. */
function steppingClock(): () => number {
  let now = 0;
  return () => {
    now += 2;
    return now;
  };
}

describe("ValidationPipeline", () => {
  it("runs validators in ascending priority, ties in the order given", () => {
    const order: string[] = [];
    const named = (name: string, priority: number) =>
      fakeValidator<string>({
        name,
        priority,
        check: () => {
          order.push(name);
          return Verdict.approve();
        },
      });
    const pipeline = new ValidationPipeline("input", [
      named("c", 300),
      named("a1", 10),
      named("b", 100),
      named("a2", 10),
    ]);

    pipeline.run("hello");

    expect(order).toEqual(["a1", "a2", "b", "c"]);
    expect(pipeline.validators.map((v) => v.name)).toEqual(["a1", "a2", "b", "c"]);
  });

  it("approves with the value unchanged and one trace entry per validator", () => {
    const pipeline = new ValidationPipeline(
      "output",
      [
        fakeValidator<string>({ name: "one", check: () => Verdict.approve() }),
        fakeValidator<string>({ name: "two", check: () => Verdict.approve() }),
      ],
      { now: steppingClock() },
    );

    const outcome = pipeline.run("text");

    expect(outcome).toEqual({
      verdict: "approve",
      stage: "output",
      value: "text",
      trace: [
        { validator: "one", kind: "fake", stage: "output", verdict: "approve", durationMs: 2 },
        { validator: "two", kind: "fake", stage: "output", verdict: "approve", durationMs: 2 },
      ],
    });
  });

  it("threads each modification into the next validator and returns the final value", () => {
    const upper = fakeValidator<string>({
      name: "upper",
      priority: 1,
      modifies: true,
      check: (v) => Verdict.modify(v.toUpperCase(), "uppercased"),
    });
    const exclaim = fakeValidator<string>({
      name: "exclaim",
      priority: 2,
      modifies: true,
      check: (v) => Verdict.modify(`${v}!`, "exclaimed"),
    });
    const last = fakeValidator<string>({
      name: "last",
      priority: 3,
      check: () => Verdict.approve(),
    });

    const outcome = new ValidationPipeline("input", [exclaim, last, upper]).run("hi");

    expect(upper.seen).toEqual(["hi"]);
    expect(exclaim.seen).toEqual(["HI"]);
    expect(last.seen).toEqual(["HI!"]);
    expect(outcome.verdict).toBe("modify");
    expect(outcome).toMatchObject({ value: "HI!" });
    expect(outcome.trace.map((t) => [t.validator, t.verdict, t.reason])).toEqual([
      ["upper", "modify", "uppercased"],
      ["exclaim", "modify", "exclaimed"],
      ["last", "approve", undefined],
    ]);
  });

  it("stops at the first rejection: later validators do not run", () => {
    const later = fakeValidator<string>({
      name: "later",
      priority: 3,
      check: () => Verdict.approve(),
    });
    const pipeline = new ValidationPipeline("tool", [
      fakeValidator<string>({ name: "first", priority: 1, check: () => Verdict.approve() }),
      fakeValidator<string>({
        name: "guard",
        priority: 2,
        check: () => Verdict.reject("too risky"),
      }),
      later,
    ]);

    const outcome = pipeline.run("x");

    expect(outcome).toMatchObject({ verdict: "reject", validator: "guard", reason: "too risky" });
    expect(later.seen).toEqual([]);
    expect(outcome.trace.map((t) => t.verdict)).toEqual(["approve", "reject"]);
  });

  it("stops at a retry and returns its feedback for the model", () => {
    const later = fakeValidator<string>({
      name: "later",
      priority: 9,
      check: () => Verdict.approve(),
    });
    const pipeline = new ValidationPipeline("output", [
      fakeValidator<string>({
        name: "schema",
        priority: 1,
        check: () => Verdict.retry("not JSON", "Reply with JSON only."),
      }),
      later,
    ]);

    const outcome = pipeline.run("plain words");

    expect(outcome).toMatchObject({
      verdict: "retry",
      stage: "output",
      validator: "schema",
      reason: "not JSON",
      feedback: "Reply with JSON only.",
    });
    expect(later.seen).toEqual([]);
    // The feedback may quote the model's output: it is never put in the trace.
    expect(JSON.stringify(outcome.trace)).not.toContain("Reply with JSON only.");
  });

  it("turns a retry at the input stage into a rejection with the same reason", () => {
    const pipeline = new ValidationPipeline("input", [
      fakeValidator<string>({ name: "asks", check: () => Verdict.retry("bad shape", "fix it") }),
    ]);

    const outcome = pipeline.run("x");

    expect(outcome).toMatchObject({ verdict: "reject", validator: "asks", reason: "bad shape" });
    expect(outcome.trace[0]?.verdict).toBe("reject");
  });

  it("accepts a retry at the tool stage", () => {
    const pipeline = new ValidationPipeline("tool", [
      fakeValidator<string>({ name: "asks", check: () => Verdict.retry("bad", "fix it") }),
    ]);

    expect(pipeline.run("x").verdict).toBe("retry");
  });

  it("rejects a modification from a validator that does not declare modifies", () => {
    const pipeline = new ValidationPipeline("output", [
      fakeValidator<string>({
        name: "sneaky",
        check: () => Verdict.modify("changed", "changed it"),
      }),
    ]);

    const outcome = pipeline.run("original");

    expect(outcome).toMatchObject({ verdict: "reject", validator: "sneaky" });
    expect(JSON.stringify(outcome)).not.toContain("changed it");
  });

  it("fails closed when a validator throws, keeping the error as the cause", () => {
    const failure = new Error("boom with user text");
    const pipeline = new ValidationPipeline("input", [
      fakeValidator<string>({
        name: "broken",
        check: () => {
          throw failure;
        },
      }),
    ]);

    const outcome = pipeline.run("x");

    expect(outcome).toMatchObject({ verdict: "reject", validator: "broken" });
    expect(outcome.verdict === "reject" && outcome.cause).toBe(failure);
    expect(JSON.stringify(outcome.trace)).not.toContain("boom");
  });

  it("fails closed when a validator returns something that is not a verdict", () => {
    const pipeline = new ValidationPipeline("input", [
      fakeValidator<string>({ name: "odd", check: () => undefined as unknown as Verdict<string> }),
    ]);

    expect(pipeline.run("x")).toMatchObject({ verdict: "reject", validator: "odd" });
  });

  it("approves at once with an empty trace when the stage has no validators", () => {
    expect(new ValidationPipeline<string>("output", []).run("x")).toEqual({
      verdict: "approve",
      stage: "output",
      value: "x",
      trace: [],
    });
  });

  it("clips a long reason to the telemetry limit", () => {
    const pipeline = new ValidationPipeline("output", [
      fakeValidator<string>({ name: "wordy", check: () => Verdict.reject("r".repeat(2_000)) }),
    ]);

    const outcome = pipeline.run("x");

    expect(outcome.verdict === "reject" && outcome.reason.length).toBe(MAX_REASON_LENGTH);
    expect(outcome.trace[0]?.reason?.length).toBe(MAX_REASON_LENGTH);
  });

  it("keeps no state between runs", () => {
    const pipeline = new ValidationPipeline("input", [
      fakeValidator<string>({
        name: "odd-length",
        check: (v) => (v.length % 2 === 1 ? Verdict.reject("odd") : Verdict.approve()),
      }),
    ]);

    expect(pipeline.run("ab").verdict).toBe("approve");
    expect(pipeline.run("abc").verdict).toBe("reject");
    expect(pipeline.run("ab").verdict).toBe("approve");
  });
});
