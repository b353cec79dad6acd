import {
  KEY_CATALOGUE,
  KnowledgeKeys,
  PATINOX_SERVICES,
  type PatinoxServiceName,
  SUBJECT_CATALOGUE,
  streamNames,
} from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import {
  CONSUMERS,
  isAllowed,
  KNOWLEDGE_FAMILIES,
  KNOWLEDGE_WRITES,
  NATS_ROLES,
  type NatsRole,
  PUBLISHER_INBOX_PREFIX,
  rolePermissions,
  STREAM_WRITES,
  subjectMatches,
} from "./nats-permissions.ts";

/** A concrete subject for a catalogue pattern (`{prefix}.agents.{agent}.run` → `patinox.agents.a1.run`). */
/** A concrete subject or key of `pattern`; `{service}` becomes `service` (a writer's own key). */
const concrete = (pattern: string, service = "execute") =>
  pattern
    .replace("{prefix}", "patinox")
    .replace("{type}", "run.completed")
    .replace("{windowStart}", "1700000000000")
    .replace(/\{[a-zA-Z]+\}/g, (token) => (token === "{service}" ? service : "a1"));

const can = (role: NatsRole, op: "publish" | "subscribe", subject: string) =>
  isAllowed(rolePermissions(role)[op], subject);

/**
 * Who publishes and who serves each subject of the wire, as the permissions must allow it.
 * Keyed by `SUBJECT_CATALOGUE` name: a subject added to the contracts fails this test until
 * someone decides who may use it.
 */
const WIRE: Record<string, { publish: readonly NatsRole[]; subscribe: readonly NatsRole[] }> = {
  "agent.run": { publish: ["publisher", "operator"], subscribe: ["execute"] },
  "run.cancel": { publish: ["publisher", "operator"], subscribe: ["execute"] },
  // Jobs and results travel through streams: Execute pulls (durable consumer) and publishes.
  "agent.jobs": { publish: ["submitter"], subscribe: [] },
  "run.results": { publish: ["execute"], subscribe: ["submitter"] },
  tool: { publish: ["execute"], subscribe: ["tool"] },
  telemetry: { publish: ["execute"], subscribe: [] },
  "events.finding": { publish: ["analyze"], subscribe: [] },
  "events.plan": { publish: ["plan"], subscribe: [] },
  deadletters: { publish: ["execute"], subscribe: [] },
  "service.status": { publish: ["operator"], subscribe: ["execute"] },
};

describe("NATS permissions derived from the contracts", () => {
  it("cover every subject of SUBJECT_CATALOGUE, and nobody else may use it", () => {
    expect(Object.keys(WIRE).sort()).toEqual(SUBJECT_CATALOGUE.map((s) => s.name).sort());
    for (const entry of SUBJECT_CATALOGUE) {
      const subject = concrete(entry.subject);
      const expected = WIRE[entry.name] ?? { publish: [], subscribe: [] };
      for (const role of NATS_ROLES) {
        if (expected.publish.includes(role))
          expect([entry.name, role, can(role, "publish", subject)]).toEqual([
            entry.name,
            role,
            true,
          ]);
        if (expected.subscribe.includes(role))
          expect([entry.name, role, can(role, "subscribe", subject)]).toEqual([
            entry.name,
            role,
            true,
          ]);
      }
      // A publisher reaches nothing but running and cancelling.
      if (!["agent.run", "run.cancel"].includes(entry.name)) {
        expect([entry.name, can("publisher", "publish", subject)]).toEqual([entry.name, false]);
      }
    }
  });

  it("let exactly the writers of KEY_CATALOGUE write each key family", () => {
    for (const entry of KEY_CATALOGUE) {
      const writers = PATINOX_SERVICES.filter((service) => entry.writtenBy.includes(service));
      // A key naming a service (`leases.{service}.…`) is that service's own.
      const key = `$KV.patinox.${concrete(entry.key, writers[0])}`;
      for (const role of NATS_ROLES) {
        const expected =
          writers.includes(role as PatinoxServiceName) ||
          (role === "operator" && entry.writtenBy.includes("cli"));
        expect([entry.key, role, can(role, "publish", key)]).toEqual([entry.key, role, expected]);
      }
    }
  });

  it("know every key family KnowledgeKeys builds, and only its owner writes it", () => {
    const sample = (build: unknown): string => {
      if (typeof build === "string") return build;
      const fn = build as (...args: unknown[]) => string;
      try {
        return fn("x1", "y1");
      } catch {
        return fn("x1", 1_700_000_000_000);
      }
    };
    const heads = new Set(Object.values(KnowledgeKeys).map((build) => sample(build).split(".")[0]));
    expect([...heads].sort()).toEqual(
      [...new Set(KNOWLEDGE_FAMILIES.map((f) => f.split(".")[0]))].sort(),
    );
    for (const service of PATINOX_SERVICES) {
      for (const pattern of KNOWLEDGE_WRITES[service]) {
        const owners = PATINOX_SERVICES.filter((other) =>
          can(
            other,
            "publish",
            `$KV.patinox.${concrete(pattern.replace(/\*/g, "a1").replace(">", "a1.b1"))}`,
          ),
        );
        expect([pattern, owners]).toEqual([pattern, [service]]);
      }
    }
  });

  it("give every stream a writer, and every durable consumer its stream", () => {
    const names = streamNames("patinox");
    const written = new Set(PATINOX_SERVICES.flatMap((s) => STREAM_WRITES[s]));
    expect([...written].sort()).toEqual(Object.keys(names).sort());
    for (const service of PATINOX_SERVICES) {
      for (const { stream, durable } of CONSUMERS[service]) {
        expect(
          can(service, "publish", `$JS.API.CONSUMER.MSG.NEXT.${names[stream]}.${durable}`),
        ).toBe(true);
        expect(can(service, "publish", `$JS.ACK.${names[stream]}.${durable}.1.2.3.4.5`)).toBe(true);
        for (const other of PATINOX_SERVICES.filter((o) => o !== service)) {
          expect(
            can(other, "publish", `$JS.API.CONSUMER.MSG.NEXT.${names[stream]}.${durable}`),
          ).toBe(false);
        }
      }
    }
  });

  it("keep the issue's examples", () => {
    expect(
      can("execute", "publish", "$JS.API.DIRECT.GET.KV_patinox.$KV.patinox.agents.support.config"),
    ).toBe(true);
    expect(can("execute", "publish", "$KV.patinox.findings.support.fp")).toBe(false);
    expect(can("analyze", "publish", "$KV.patinox.findings.support.fp")).toBe(true);
    expect(can("analyze", "publish", "$KV.patinox.agents.support.config")).toBe(false);
    expect(can("publisher", "publish", "patinox.agents.support.run")).toBe(true);
    expect(can("publisher", "subscribe", `${PUBLISHER_INBOX_PREFIX}.abc.1`)).toBe(true);
    expect(can("publisher", "subscribe", "_INBOX.abc.1")).toBe(false);
    for (const role of NATS_ROLES) {
      expect([role, can(role, "publish", "$JS.API.STREAM.DELETE.patinox_telemetry")]).toEqual([
        role,
        false,
      ]);
    }
  });

  it("match subjects as nats-server does", () => {
    expect(subjectMatches("a.*.c", "a.b.c")).toBe(true);
    expect(subjectMatches("a.*.c", "a.b.d")).toBe(false);
    expect(subjectMatches("a.>", "a.b.c")).toBe(true);
    expect(subjectMatches("a.>", "a")).toBe(false);
    expect(subjectMatches("a.b", "a.b.c")).toBe(false);
  });
});
