import { connect } from "@nats-io/transport-node";
import {
  AgentDefinition,
  type AgentDefinitionInput,
  AgentDefinitionRecord,
  KnowledgeKeys,
  PatinoxError,
} from "@patinox/contracts";
import { type Knowledge, openKnowledge } from "@patinox/knowledge";
import { NatsServer } from "@patinox/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyDefinition } from "./apply-definition.ts";
import { definitionHistory } from "./definition-history.ts";
import { listLiveDefinitions } from "./live-definitions.ts";
import { previewApply } from "./preview-apply.ts";

let server: NatsServer;
let nc: Awaited<ReturnType<typeof connect>>;
let knowledge: Knowledge;

beforeAll(async () => {
  server = await NatsServer.start();
  nc = await connect({ servers: server.url });
  knowledge = await openKnowledge(nc, { bucket: "agents-test", history: 64 });
});

afterAll(async () => {
  await nc?.close();
  await server?.[Symbol.asyncDispose]();
});

/** A valid definition of `name`; `timeoutMs` of its one tool tells versions apart. */
function definition(name: string, timeoutMs = 5000): AgentDefinition {
  const input: AgentDefinitionInput = {
    v: 1,
    name,
    model: { name: "simulated-small" },
    instructions: "Help customers.",
    tools: [{ name: "lookup_order", description: "Look up an order.", timeoutMs }],
  };
  return AgentDefinition.parse(input);
}

/**
 * Writes bytes to a key bypassing every schema, as a hand edit or another program would: a KV
 * put is a JetStream publish on `$KV.<bucket>.<key>`, acknowledged once stored.
 */
async function putRaw(bucket: string, key: string, value: string): Promise<void> {
  await nc.request(`$KV.${bucket}.${key}`, value);
}

const by = { appliedBy: "cli:test@host", reason: "testing" };
const clock = (iso: string) => () => new Date(iso);

describe("applyDefinition", () => {
  it("creates version 1 with who applied it and why", async () => {
    const result = await applyDefinition(knowledge, definition("create"), {
      ...by,
      sourceHash: "a".repeat(64),
      source: "examples/agents/create.yaml",
      now: clock("2026-01-01T12:00:00.000Z"),
    });

    expect(result).toMatchObject({ agent: "create", version: 1, changed: true, created: true });
    expect(result.diff.map((c) => c.path)).toContain("instructions");
    const live = await knowledge.get(KnowledgeKeys.agentConfig("create"), AgentDefinitionRecord);
    expect(live?.revision).toBe(result.revision);
    expect(live?.value).toEqual({
      v: 1,
      definition: definition("create"),
      version: 1,
      appliedBy: "cli:test@host",
      reason: "testing",
      appliedAt: "2026-01-01T12:00:00.000Z",
      sourceHash: "a".repeat(64),
      source: "examples/agents/create.yaml",
    });
  });

  it("writes version 2 for a changed definition, with the diff against version 1", async () => {
    await applyDefinition(knowledge, definition("update"), by);

    const result = await applyDefinition(knowledge, definition("update", 8000), by);

    expect(result).toMatchObject({ agent: "update", version: 2, changed: true, created: false });
    expect(result.diff).toEqual([
      { path: "tools.lookup_order.timeoutMs", kind: "changed", before: 5000, after: 8000 },
    ]);
  });

  it("writes nothing for an unchanged definition: same version, same revision, empty diff", async () => {
    const first = await applyDefinition(knowledge, definition("noop"), by);

    const again = await applyDefinition(knowledge, definition("noop"), {
      appliedBy: "someone-else",
      reason: "again",
    });

    expect(again).toEqual({
      agent: "noop",
      version: 1,
      changed: false,
      created: false,
      revision: first.revision,
      diff: [],
    });
    expect(await definitionHistory(knowledge, "noop")).toHaveLength(1);
  });

  it("concurrent applies of different definitions get versions 1..N, none lost", async () => {
    const n = 12;
    // Two connections, so the races are between clients as well as within one.
    const other = await connect({ servers: server.url });
    const second = await openKnowledge(other, { bucket: "agents-test" });
    try {
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          applyDefinition(i % 2 ? knowledge : second, definition("race", 1000 + i), {
            appliedBy: `applier-${i}`,
            reason: "race",
          }),
        ),
      );

      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: n }, (_, i) => i + 1),
      );
      expect(results.every((r) => r.changed)).toBe(true);
      const history = await definitionHistory(knowledge, "race");
      expect(history.map((h) => (h.kind === "applied" ? h.version : -1))).toEqual(
        Array.from({ length: n }, (_, i) => i + 1),
      );
      // Each applier's write is in the history exactly once, under the version it was told.
      const byApplier = new Map(
        history.map((h) => [
          h.kind === "applied" ? h.appliedBy : "",
          h.kind === "applied" ? h.version : 0,
        ]),
      );
      for (const [i, result] of results.entries()) {
        expect(byApplier.get(`applier-${i}`)).toBe(result.version);
      }
    } finally {
      await other.close();
    }
  });

  it("refuses to overwrite a live record it cannot read", async () => {
    const key = KnowledgeKeys.agentConfig("corrupt");
    await knowledge.put(key, AgentDefinitionRecord, {
      v: 1,
      definition: definition("corrupt"),
      version: 1,
      appliedBy: "x",
      reason: "x",
      appliedAt: "2026-01-01T12:00:00.000Z",
    });
    // A record from a future Patinox: the schema version this one does not know.
    await putRaw("agents-test", key, JSON.stringify({ v: 2, whatever: true }));

    const error = await applyDefinition(knowledge, definition("corrupt", 9000), by).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(PatinoxError);
    expect((error as PatinoxError).code).toBe("record_invalid");
  });
});

describe("previewApply", () => {
  it("says what an apply would do, and writes nothing", async () => {
    const fresh = await previewApply(knowledge, definition("preview"));
    expect(fresh).toMatchObject({
      agent: "preview",
      liveVersion: undefined,
      version: 1,
      changed: true,
      created: true,
    });

    await applyDefinition(knowledge, definition("preview"), by);
    const same = await previewApply(knowledge, definition("preview"));
    expect(same).toEqual({
      agent: "preview",
      liveVersion: 1,
      version: 1,
      changed: false,
      created: false,
      diff: [],
    });

    const changed = await previewApply(knowledge, definition("preview", 7000));
    expect(changed).toMatchObject({ liveVersion: 1, version: 2, changed: true, created: false });
    expect(changed.diff).toHaveLength(1);
    expect(await definitionHistory(knowledge, "preview")).toHaveLength(1);
  });
});

describe("definitionHistory", () => {
  it("lists every kept revision oldest first; deletes and invalid revisions are reported", async () => {
    const key = KnowledgeKeys.agentConfig("audited");
    await applyDefinition(knowledge, definition("audited"), {
      appliedBy: "alice",
      reason: "first",
      now: clock("2026-01-01T10:00:00.000Z"),
    });
    await applyDefinition(knowledge, definition("audited", 6000), {
      appliedBy: "plan:applyOnMerge",
      reason: "raise the timeout",
      sourceHash: "b".repeat(64),
      now: clock("2026-01-01T11:00:00.000Z"),
    });
    await putRaw("agents-test", key, "not json");
    await knowledge.delete(key);

    const history = await definitionHistory(knowledge, "audited");

    expect(history.map((h) => h.kind)).toEqual(["applied", "applied", "invalid", "deleted"]);
    expect(history[0]).toMatchObject({
      kind: "applied",
      version: 1,
      appliedBy: "alice",
      reason: "first",
      appliedAt: "2026-01-01T10:00:00.000Z",
    });
    expect(history[1]).toMatchObject({
      kind: "applied",
      version: 2,
      appliedBy: "plan:applyOnMerge",
      reason: "raise the timeout",
      sourceHash: "b".repeat(64),
    });
    expect(history[2]).toMatchObject({ kind: "invalid", error: { code: "record_invalid" } });
    const revisions = history.map((h) => h.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
  });

  it("is empty for an agent never defined, and refuses an invalid name", async () => {
    expect(await definitionHistory(knowledge, "never-defined")).toEqual([]);
    await expect(definitionHistory(knowledge, "bad.name")).rejects.toMatchObject({
      code: "invalid_name",
    });
  });
});

describe("listLiveDefinitions", () => {
  it("lists live agents by name with their version, and unreadable ones as invalid", async () => {
    const nc2 = await connect({ servers: server.url });
    try {
      const own = await openKnowledge(nc2, { bucket: "agents-list" });
      await applyDefinition(own, definition("zeta"), by);
      await applyDefinition(own, definition("alpha"), by);
      await applyDefinition(own, definition("alpha", 6000), by);
      await putRaw("agents-list", "agents.broken.config", "{}");

      const live = await listLiveDefinitions(own);

      expect(live.map((l) => [l.agent, l.valid ? l.record.version : l.error.code])).toEqual([
        ["alpha", 2],
        ["broken", "record_invalid"],
        ["zeta", 1],
      ]);
    } finally {
      await nc2.close();
    }
  });
});
