import type { BreakerRecord } from "@patinox/contracts";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BreakerPolicy,
  probeClaimed,
  probeSettled,
  shouldTrip,
  tripped,
  verdict,
} from "./breaker-policy.ts";

const policy: BreakerPolicy = {
  failureRatio: 0.5,
  minimumRequests: 4,
  windowMs: 10_000,
  coolDownMs: 5_000,
  probeTimeoutMs: 20_000,
};
const target = { provider: "openai", model: "gpt-4.1" };

describe("breaker policy", () => {
  it("trips at the failure ratio once the window holds the minimum of calls", () => {
    expect(shouldTrip({ requests: 3, failures: 3 }, policy)).toBe(false);
    expect(shouldTrip({ requests: 4, failures: 1 }, policy)).toBe(false);
    expect(shouldTrip({ requests: 4, failures: 2 }, policy)).toBe(true);
  });

  it("closed → open → (cool-down) → half-open with one owner → closed or open again", () => {
    const open = tripped(undefined, target, { requests: 4, failures: 3 }, policy, 1_000);
    expect(open).toMatchObject({
      state: "open",
      openUntilMs: 6_000,
      failureRatio: 0.75,
      requests: 4,
      trips: 1,
    });
    expect(verdict(open, 5_999)).toEqual({ kind: "skip", state: "open", retryAfterMs: 1 });
    expect(verdict(open, 6_000)).toEqual({ kind: "claim-probe" });
    // An open breaker is not tripped again.
    expect(tripped(open, target, { requests: 9, failures: 9 }, policy, 2_000)).toBeUndefined();

    const probing = probeClaimed(open, "replica-a", policy, 6_000);
    expect(probing).toMatchObject({
      state: "half_open",
      probe: { owner: "replica-a", untilMs: 26_000 },
    });
    // Exactly one claim: the second replica's compare-and-set sees the live probe.
    expect(probeClaimed(probing, "replica-b", policy, 6_001)).toBeUndefined();
    expect(verdict(probing, 6_001)).toMatchObject({ kind: "skip", state: "half_open" });
    // Only the owner settles it.
    expect(probeSettled(probing, "replica-b", "success", policy, 7_000)).toBeUndefined();
    expect(probeSettled(probing, "replica-a", "success", policy, 7_000)).toMatchObject({
      state: "closed",
    });
    expect(probeSettled(probing, "replica-a", "failure", policy, 7_000)).toMatchObject({
      state: "open",
      openUntilMs: 12_000,
      trips: 2,
    });
    expect(probeSettled(probing, "replica-a", "released", policy, 7_000)).toMatchObject({
      state: "open",
      openUntilMs: 7_000,
      trips: 1,
    });
  });

  it("lets another replica claim a probe whose owner never reported", () => {
    const open = tripped(
      undefined,
      target,
      { requests: 4, failures: 4 },
      policy,
      0,
    ) as BreakerRecord;
    const probing = probeClaimed(open, "crashed", policy, 5_000);
    expect(probeClaimed(probing, "replica-b", policy, 24_999)).toBeUndefined();
    expect(probeClaimed(probing, "replica-b", policy, 25_000)).toMatchObject({
      probe: { owner: "replica-b" },
    });
  });

  it("whatever the order of events, at most one replica holds the probe at any instant", () => {
    const event = fc.record({
      replica: fc.constantFrom("a", "b", "c"),
      action: fc.constantFrom("claim", "success", "failure", "released", "trip"),
      gap: fc.integer({ min: 0, max: 30_000 }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        let record: BreakerRecord | undefined;
        let now = 0;
        for (const { replica, action, gap } of events) {
          now += gap;
          const next =
            action === "claim"
              ? probeClaimed(record, replica, policy, now)
              : action === "trip"
                ? tripped(record, target, { requests: 4, failures: 4 }, policy, now)
                : probeSettled(record, replica, action, policy, now);
          if (next === undefined) continue;
          if (
            record?.state === "half_open" &&
            next.state === "half_open" &&
            (record.probe?.untilMs ?? 0) > now
          ) {
            throw new Error("a live probe was taken over");
          }
          if (next.state === "half_open") expect(next.probe?.owner).toBe(replica);
          if (next.state === "closed") expect(record?.state).toBe("half_open");
          record = next;
        }
      }),
    );
  });
});
