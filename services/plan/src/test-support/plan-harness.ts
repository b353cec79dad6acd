import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { applyDefinition, parseDefinition } from "@patinox/agents";
import {
  createSubjects,
  Evolution,
  encode,
  Finding,
  type FindingChange,
  FindingEvent,
  KnowledgeKeys,
  Plan,
} from "@patinox/contracts";
import { GitHubServer } from "@patinox/github-testkit";
import { type Knowledge, openKnowledge } from "@patinox/knowledge";
import { type RunningService, startService } from "@patinox/runtime";
import { ensureStream, installationStreams } from "@patinox/streams";
import type { NatsServer } from "@patinox/testkit";
import { planService } from "../service.ts";

/** The token the GitHub test server accepts; shaped like a real one so leaks are searched for. */
export const GITHUB_TEST_TOKEN = "ghp_PatinoxTestToken0123456789abcdefABCDEF";

/** The example agent Plan edits in tests. */
export const SUPPORT_YAML = readFileSync(
  fileURLToPath(new URL("../../../../examples/agents/support.yaml", import.meta.url)),
  "utf8",
);

/** The environment Plan runs with against `github` on `nats`, short timers for tests. */
export function planEnv(
  nats: NatsServer,
  github: GitHubServer,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NATS_URL: nats.url,
    PATINOX_HEALTH_PORT: "0",
    PATINOX_HEALTH_HOST: "127.0.0.1",
    PATINOX_PREFIX: prefix,
    PATINOX_BUCKET: prefix,
    PATINOX_SHUTDOWN_DEADLINE_MS: "2000",
    LOG_LEVEL: "debug",
    PATINOX_PLAN_SINK: "github",
    PATINOX_PLAN_GITHUB_REPO: `${github.repository.owner}/${github.repository.name}`,
    GITHUB_TOKEN: GITHUB_TEST_TOKEN,
    GITHUB_API_URL: github.url,
    PATINOX_PLAN_GITHUB_WRITE_INTERVAL_MS: "0",
    PATINOX_PLAN_GITHUB_MAX_WAIT_MS: "0",
    PATINOX_PLAN_RECONCILE_MS: "1000",
    PATINOX_PLAN_POLL_MS: "300",
    PATINOX_PLAN_RETRY_BASE_MS: "200",
    PATINOX_PLAN_RETRY_MAX_MS: "1000",
    PATINOX_PLAN_TRACE_URL: "https://traces.example/trace/{traceId}",
    ...extra,
  };
}

/**
 * A test world for Plan: a GitHub test server holding `agents/support.yaml`, the knowledge
 * bucket and events stream of its own prefix, and helpers to play Analyze's part (findings,
 * finding events, verdicts). Plan itself is started in-process ({@link startPlan}) or as a
 * child process by the test.
 */
export class PlanWorld implements AsyncDisposable {
  readonly prefix: string;
  readonly nats: NatsServer;
  readonly github: GitHubServer;
  readonly nc: NatsConnection;
  readonly knowledge: Knowledge;
  readonly services: { service: RunningService; logs: string[] }[] = [];

  private constructor(
    prefix: string,
    nats: NatsServer,
    github: GitHubServer,
    nc: NatsConnection,
    knowledge: Knowledge,
  ) {
    this.prefix = prefix;
    this.nats = nats;
    this.github = github;
    this.nc = nc;
    this.knowledge = knowledge;
  }

  /** A world whose repository and live definition hold `yaml` (the example support agent by default). */
  static async create(nats: NatsServer, yaml: string = SUPPORT_YAML): Promise<PlanWorld> {
    const prefix = `t${randomBytes(4).toString("hex")}`;
    const github = await GitHubServer.start({
      owner: "acme",
      repo: "behaviour",
      tokens: [GITHUB_TEST_TOKEN],
      files: { "agents/support.yaml": yaml, "README.md": "# Behaviour\n" },
    });
    const nc = await connect({ servers: nats.url });
    const knowledge = await openKnowledge(nc, { bucket: prefix });
    const parsed = parseDefinition(yaml, "support.yaml");
    if (!parsed.ok) throw parsed.error;
    await applyDefinition(knowledge, parsed.value.definition, {
      appliedBy: "test",
      reason: "test setup",
    });
    await ensureStream(
      await (await import("@nats-io/jetstream")).jetstreamManager(nc),
      installationStreams({ prefix }).events,
    );
    return new PlanWorld(prefix, nats, github, nc, knowledge);
  }

  /** Starts Plan in-process; its log lines are kept. */
  async startPlan(
    extra: Record<string, string> = {},
  ): Promise<{ service: RunningService; logs: string[] }> {
    const logs: string[] = [];
    const service = await startService(planService, {
      env: planEnv(this.nats, this.github, this.prefix, extra),
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(
            ...chunk
              .toString("utf8")
              .split("\n")
              .filter((l) => l !== ""),
          );
          done();
        },
      }),
    });
    const started = { service, logs };
    this.services.push(started);
    return started;
  }

  /** Writes a finding as Analyze would and publishes its event. */
  async finding(
    patch: Partial<Finding> & Pick<Finding, "fingerprint" | "kind">,
    event: FindingChange = "opened",
  ): Promise<Finding> {
    const now = new Date().toISOString();
    const finding = Finding.parse({
      v: 1,
      agent: "support",
      status: "open",
      severity: "warning",
      confidence: 0.99,
      evidence: {
        numbers: { timeout_rate: 0.31, calls: 412 },
        windows: [Date.now() - 60_000],
        test: "wilson",
      },
      sampleTraceIds: ["0123456789abcdef0123456789abcdef"],
      firstSeen: now,
      lastSeen: now,
      ...patch,
    });
    await this.knowledge.put(
      KnowledgeKeys.finding(finding.agent, finding.fingerprint),
      Finding,
      finding,
    );
    await this.publishFindingEvent(finding, event);
    return finding;
  }

  async publishFindingEvent(finding: Finding, event: FindingChange): Promise<void> {
    const id = `f-${finding.fingerprint}-${event}-${randomBytes(4).toString("hex")}`;
    const message = FindingEvent.parse({ v: 1, id, at: new Date().toISOString(), event, finding });
    await jetstream(this.nc).publish(
      createSubjects(this.prefix).events("finding", finding.agent),
      encode(message),
      {
        msgID: id,
      },
    );
  }

  /** Resolves a finding as Analyze would. */
  async resolve(fingerprint: string): Promise<void> {
    const key = KnowledgeKeys.finding("support", fingerprint);
    const entry = await this.knowledge.get(key, Finding);
    if (!entry) throw new Error(`no finding ${fingerprint}`);
    const resolved = {
      ...entry.value,
      status: "resolved" as const,
      resolvedAt: new Date().toISOString(),
    };
    await this.knowledge.put(key, Finding, resolved);
    await this.publishFindingEvent(Finding.parse(resolved), "resolved");
  }

  /** Records Analyze's verdict on a plan. */
  async verdict(plan: Plan, verdict: Evolution["verdict"]): Promise<void> {
    await this.knowledge.put(KnowledgeKeys.evolution(plan.agent, plan.planId), Evolution, {
      v: 1,
      planId: plan.planId,
      agent: plan.agent,
      metric: "tool_timeout_rate",
      fromVersion: plan.baseVersion,
      toVersion: plan.appliedVersion ?? plan.baseVersion + 1,
      before: { value: 0.31, samples: 400, windows: [1] },
      after: { value: verdict === "regressed" ? 0.5 : 0.01, samples: 400, windows: [2] },
      verdict,
      at: new Date().toISOString(),
    });
  }

  async plans(): Promise<Plan[]> {
    const plans: Plan[] = [];
    for (const key of await this.knowledge.keys(KnowledgeKeys.allPlans)) {
      const entry = await this.knowledge.get(key, Plan);
      if (entry) plans.push(entry.value);
    }
    return plans;
  }

  async plan(planId: string): Promise<Plan | undefined> {
    return (await this.knowledge.get(KnowledgeKeys.plan("support", planId), Plan))?.value;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const { service } of this.services) await service.shutdown("test over").catch(() => {});
    await this.nc.close();
    await this.github.stop();
  }
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}
