import { randomBytes } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { LimitsConfig, PatinoxError } from "@patinox/contracts";
import { openKnowledge } from "@patinox/knowledge";
import {
  DEFAULT_BREAKER_POLICY,
  DEFAULT_LEASE_POLICY,
  DEFAULT_RETRY_POLICY,
} from "@patinox/resilience";
import { createLogger } from "@patinox/runtime";
import { NatsServer } from "@patinox/testkit";
import { describe, expect, it } from "vitest";
import { RunGuards } from "./run-guards.ts";

describe("run guards", () => {
  it("answer unavailable, not internal, when the knowledge bucket cannot be reached", async () => {
    await using nats = await NatsServer.start();
    const nc = await connect({ servers: nats.url });
    const knowledge = await openKnowledge(nc, { bucket: `g${randomBytes(4).toString("hex")}` });
    const guards = new RunGuards({
      knowledge,
      breaker: DEFAULT_BREAKER_POLICY,
      retry: DEFAULT_RETRY_POLICY,
      lease: DEFAULT_LEASE_POLICY,
      budgetRefreshMs: 0,
      logger: createLogger({ level: "silent", service: "execute", instanceId: "test" }),
    });
    const limits = LimitsConfig.parse({ tokenBudgetPerHour: 1_000 });
    await expect(guards.admit("support", limits, undefined)).resolves.toBeUndefined();

    await nc.close();
    const refused = await guards.admit("support", limits, undefined).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(PatinoxError);
    expect(refused).toMatchObject({
      code: "unavailable",
      retryable: true,
      message: "the knowledge bucket could not be reached to check agent support's limits",
    });
  });
});
