import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ConsumerSnapshot, foldableSequences, type HeldDelivery } from "./fold-gate.ts";

/**
 * A model of a JetStream consumer shared by the folder and a dead instance, to check the
 * ordering rule: whatever the folder folds, every message still outstanding at a lower stream
 * sequence must be folded with it (or a window's high-water mark would pass it and the
 * redelivered event would be skipped: lost).
 *
 * What the model keeps of the real server: first deliveries go out in stream order; a message
 * handed to the dead instance comes back to the folder only when redelivered; a message the
 * folder holds may be redelivered to it again (its own ack wait passed while it waited); the
 * consumer-info reply travels on the folder's connection behind the messages delivered before
 * it, and the folder may read a few messages that came after the reply before it decides.
 */
type Rule = (
  heldAtRequest: ReadonlyMap<number, number>,
  receivedSinceRequest: readonly number[],
  held: ReadonlyMap<number, number>,
  snapshot: ConsumerSnapshot,
  settledThrough: number,
) => Iterable<number> | undefined;

type Op = { kind: 0 | 1 | 2 | 3 | 4 | 5; pick: number };

const STREAM = 25;

/** Runs the ops; returns a description of the first ordering violation, if any. */
function simulate(rule: Rule, ops: readonly Op[]): string | undefined {
  let next = 1;
  let deliveries = 0; // the consumer sequence
  const pending = new Map<number, "folder" | "dead">();
  type Item = { seq: number; delivery: number } | { snapshot: ConsumerSnapshot; extra: number };
  const transit: Item[] = [];
  const held = new Map<number, number>(); // stream sequence → first delivery seen
  let request: { heldAtRequest: Map<number, number>; received: number[] } | undefined;
  let violation: string | undefined;
  let lastAckedSeq = 0;
  const pickFrom = (owner: "folder" | "dead", pick: number) => {
    const seqs = [...pending].filter(([, o]) => o === owner).map(([s]) => s);
    return seqs.length === 0 ? undefined : seqs[pick % seqs.length];
  };
  const decide = (snapshot: ConsumerSnapshot, asked: NonNullable<typeof request>) => {
    const folded = rule(asked.heldAtRequest, asked.received, held, snapshot, lastAckedSeq);
    if (folded === undefined) return;
    const batch = new Set(folded);
    const top = Math.max(...batch);
    for (const seq of pending.keys()) {
      if (seq < top && !batch.has(seq)) {
        violation ??= `folded up to ${top} while ${seq} was outstanding (${pending.get(seq)})`;
      }
    }
    lastAckedSeq = Math.max(lastAckedSeq, top);
    for (const seq of batch) {
      pending.delete(seq); // acked after the write
      held.delete(seq);
    }
  };
  const receive = () => {
    const item = transit.shift();
    if (item === undefined) return;
    if ("seq" in item) {
      held.set(item.seq, Math.min(held.get(item.seq) ?? item.delivery, item.delivery));
      request?.received.push(item.seq);
      return;
    }
    // The consumer-info reply: read a few more messages of the same socket read, then decide.
    const asked = request;
    if (asked === undefined) throw new Error("a reply without a request");
    for (let n = 0; n < item.extra && transit.length > 0 && "seq" in (transit[0] as Item); n++) {
      receive();
    }
    request = undefined;
    decide(item.snapshot, asked);
  };
  for (const { kind, pick } of ops) {
    switch (kind) {
      case 0: // a first delivery to the folder
      case 1: // a first delivery to the dead instance (its pull is still open at the server)
        if (next > STREAM) break;
        pending.set(next, kind === 0 ? "folder" : "dead");
        deliveries += 1;
        if (kind === 0) transit.push({ seq: next, delivery: deliveries });
        next += 1;
        break;
      case 2: {
        // the dead instance's message passed its ack wait: redelivered to the folder
        const seq = pickFrom("dead", pick);
        if (seq === undefined) break;
        pending.set(seq, "folder");
        deliveries += 1;
        transit.push({ seq, delivery: deliveries });
        break;
      }
      case 3: {
        // the folder held one past its own ack wait: redelivered to it again
        const seq = pickFrom("folder", pick);
        if (seq === undefined) break;
        deliveries += 1;
        transit.push({ seq, delivery: deliveries });
        break;
      }
      case 4:
        receive();
        break;
      case 5: // the folder asks for consumer info; the server answers at once, on the socket
        if (request !== undefined) break; // one request at a time
        request = { heldAtRequest: new Map(held), received: [] };
        transit.push({
          snapshot: { numAckPending: pending.size, deliveredConsumerSeq: deliveries },
          extra: pick % 4,
        });
        break;
    }
  }
  return violation;
}

const ops = fc.array(
  fc.record({
    kind: fc.constantFrom<Op["kind"]>(0, 0, 0, 1, 2, 3, 4, 4, 4, 5, 5),
    pick: fc.nat(),
  }),
  { maxLength: 60, size: "max" },
);

/** The rule as built: everything read so far, gated by `foldableSequences`. */
const asBuilt: Rule = (_atRequest, _received, held, snapshot, settledThrough) =>
  foldableSequences(
    [...held].map(([seq, firstDelivery]) => ({ seq, firstDelivery })),
    snapshot,
    settledThrough,
  );

/**
 * The rule that lost an event in CI (before 2026-11-24's fix): compare the pending count with
 * the messages held plus those that arrived during the request, then fold only the held ones.
 */
const countingRule: Rule = (heldAtRequest, received, _held, snapshot) =>
  heldAtRequest.size > 0 && snapshot.numAckPending <= heldAtRequest.size + received.length
    ? heldAtRequest.keys()
    : undefined;

describe("foldableSequences", () => {
  it("never folds past a message that is still outstanding, in any interleaving", () => {
    fc.assert(
      fc.property(ops, (run) => {
        expect(simulate(asBuilt, run)).toBeUndefined();
      }),
      { numRuns: 3_000 },
    );
  });

  it("makes progress: with nothing outstanding elsewhere, everything read is folded", () => {
    fc.assert(
      fc.property(ops, (run) => {
        // Only the folder takes deliveries, the folder reads everything, then asks.
        const only = run.filter((op) => op.kind !== 1 && op.kind !== 2);
        const drain: Op[] = [...Array(300)].map(() => ({ kind: 4, pick: 0 }));
        const folded = new Set<number>();
        const counting: Rule = (a, r, h, s, t) => {
          const out = asBuilt(a, r, h, s, t);
          for (const seq of out ?? []) folded.add(seq);
          return out;
        };
        simulate(counting, [...only, ...drain, { kind: 5, pick: 0 }, ...drain]);
        const delivered = only.filter((op) => op.kind === 0).length;
        expect(folded.size).toBe(Math.min(delivered, STREAM));
      }),
      { numRuns: 500 },
    );
  });

  it("the model catches the rule that lost an event in CI", () => {
    const result = fc.check(
      fc.property(ops, (run) => simulate(countingRule, run) === undefined),
      { numRuns: 3_000, seed: 4 },
    );
    expect(result.failed).toBe(true);
  });

  it("the model catches a gate that counts stale copies of settled messages", () => {
    const ignoringSettled: Rule = (a, r, h, s) => asBuilt(a, r, h, s, 0);
    const result = fc.check(
      fc.property(ops, (run) => simulate(ignoringSettled, run) === undefined),
      { numRuns: 20_000, seed: 7 },
    );
    expect(result.failed).toBe(true);
  });

  it("does not count a stale copy of a settled message", () => {
    // 1 was folded and acked (settled through 1); a copy redelivered before the server took
    // the ack arrives afterwards. 3 is out with a dead instance, 4 is held.
    const held = [
      { seq: 1, firstDelivery: 6 },
      { seq: 4, firstDelivery: 4 },
    ];
    const snapshot = { numAckPending: 2, deliveredConsumerSeq: 6 };
    expect(foldableSequences(held, snapshot, 0)).toEqual([1, 4]); // what went wrong
    expect(foldableSequences(held, snapshot, 1)).toBeUndefined();
  });

  it("counts a message redelivered to the folder once", () => {
    const d = (seq: number, firstDelivery: number): HeldDelivery => ({ seq, firstDelivery });
    // 1 and 2 held (2 also redelivered: one entry), 3 is out with a dead instance.
    expect(
      foldableSequences([d(1, 1), d(2, 2)], { numAckPending: 3, deliveredConsumerSeq: 4 }, 0),
    ).toBeUndefined();
    expect(
      foldableSequences(
        [d(1, 1), d(2, 2), d(3, 5)],
        { numAckPending: 3, deliveredConsumerSeq: 5 },
        0,
      ),
    ).toEqual([1, 2, 3]);
  });

  it("leaves messages received only after the snapshot for the next round", () => {
    const held = [
      { seq: 4, firstDelivery: 10 },
      { seq: 5, firstDelivery: 11 },
      { seq: 6, firstDelivery: 12 },
    ];
    expect(foldableSequences(held, { numAckPending: 2, deliveredConsumerSeq: 11 }, 0)).toEqual([
      4, 5,
    ]);
    expect(
      foldableSequences(held.slice(2), { numAckPending: 0, deliveredConsumerSeq: 11 }, 0),
    ).toBeUndefined();
  });
});
