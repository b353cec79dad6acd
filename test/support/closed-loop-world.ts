import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { applyDefinition, parseDefinition } from "@patinox/agents";
import {
  AgentDefinitionRecord,
  Evolution,
  Finding,
  KnowledgeKeys,
  MetricWindow,
  Plan,
} from "@patinox/contracts";
import { DEMO_AGENT_YAML, FlakyOrderTool, Traffic } from "@patinox/demo";
import { GitHubServer, type RecordedRequest } from "@patinox/github-testkit";
import { type Knowledge, openKnowledge } from "@patinox/knowledge";
import { type ModelServer, NatsServer } from "@patinox/testkit";
import type { z } from "zod";
import { NodeProcess, ROOT } from "./spawn-node.ts";

/** The agent of the closed-loop tests (the demo's): `agents/orders.yaml`. */
export const AGENT = "orders";
/** Where the agent's file lives in the behaviour repository. */
export const AGENT_PATH = `agents/${AGENT}.yaml`;
/** Metric window length: short, so the loop turns in seconds. */
export const WINDOW_MS = 3_000;
/** Tool calls Analyze needs on each side of a change before its verdict is conclusive. */
export const EVOLUTION_MIN_SAMPLES = 40;
/** The token the GitHub test server accepts; shaped like a real one so a leak would be found. */
export const GITHUB_TEST_TOKEN = "ghp_ClosedLoopToken0123456789abcdefABCDEF";

/** The four services of the loop, each run as its own process. */
export type LoopService = "execute" | "monitor" | "analyze" | "plan";
const SERVICES: readonly LoopService[] = ["execute", "monitor", "analyze", "plan"];

/** How the world's order tool and services behave. */
export interface LoopWorldOptions {
  /** The simulated model every Execute talks to (one real HTTP server for the whole file). */
  readonly model: ModelServer;
  /** How long tool call number `call` takes (see `FlakyOrderTool`); default 2 in 5 take 600 ms. */
  readonly toolDelayMs?: (call: number) => number;
}

/**
 * One closed loop on one machine: its own nats-server, a GitHub test server holding the
 * behaviour repository (`agents/orders.yaml` with its comments), the demo's order tool served
 * from the test process, the four services as child processes pointed at all of that, and the
 * demo's traffic against the agent. Readers of the knowledge bucket and the GitHub repository
 * let a test follow the loop; nothing here writes to the bucket after the initial definition.
 */
export class LoopWorld implements AsyncDisposable {
  readonly nats: NatsServer;
  readonly github: GitHubServer;
  readonly nc: NatsConnection;
  readonly knowledge: Knowledge;
  readonly tool: FlakyOrderTool;
  readonly traffic: Traffic;
  readonly #model: ModelServer;
  readonly #processes = new Map<LoopService, NodeProcess>();
  /** Every process started, killed ones included, for the logs shown when a test fails. */
  readonly #started: { service: LoopService; process: NodeProcess }[] = [];

  private constructor(parts: {
    nats: NatsServer;
    github: GitHubServer;
    nc: NatsConnection;
    knowledge: Knowledge;
    tool: FlakyOrderTool;
    model: ModelServer;
  }) {
    this.nats = parts.nats;
    this.github = parts.github;
    this.nc = parts.nc;
    this.knowledge = parts.knowledge;
    this.tool = parts.tool;
    this.#model = parts.model;
    this.traffic = new Traffic(parts.nc, AGENT);
  }

  /**
   * Starts NATS and the GitHub test server, applies `agents/orders.yaml` as version 1 (as
   * `patinox agents apply` would), serves the order tool and starts the four services. Traffic
   * is not started: call `traffic.start()`.
   */
  static async start(options: LoopWorldOptions): Promise<LoopWorld> {
    const nats = await NatsServer.start();
    const github = await GitHubServer.start({
      owner: "acme",
      repo: "behaviour",
      tokens: [GITHUB_TEST_TOKEN],
      files: { [AGENT_PATH]: DEMO_AGENT_YAML, "README.md": "# Behaviour\n" },
    });
    const nc = await connect({ servers: nats.url });
    const knowledge = await openKnowledge(nc);
    const parsed = parseDefinition(DEMO_AGENT_YAML, AGENT_PATH);
    if (!parsed.ok) throw parsed.error;
    await applyDefinition(knowledge, parsed.value.definition, {
      appliedBy: "test",
      reason: "initial version",
    });
    const tool = await FlakyOrderTool.serve(
      nc,
      options.toolDelayMs ? { delayMs: options.toolDelayMs } : {},
    );
    const world = new LoopWorld({ nats, github, nc, knowledge, tool, model: options.model });
    try {
      await Promise.all(SERVICES.map((service) => world.startService(service)));
    } catch (error) {
      await world[Symbol.asyncDispose]();
      throw error;
    }
    return world;
  }

  /** The environment of one service: short windows and timers, everything on this world. */
  env(service: LoopService): NodeJS.ProcessEnv {
    const common = {
      NATS_URL: this.nats.url,
      LOG_LEVEL: "info",
      PATINOX_SHUTDOWN_DEADLINE_MS: "2000",
    };
    switch (service) {
      case "execute":
        return { ...common, OPENAI_BASE_URL: this.#model.baseURL, OPENAI_API_KEY: "sk-test" };
      case "monitor":
        return {
          ...common,
          PATINOX_MONITOR_WINDOW_MS: String(WINDOW_MS),
          // If the intake restarts (seen: "heartbeats missed" on a loaded machine), messages
          // its fetch had taken stay unacknowledged until the ack wait passes and hold back
          // every window; 5 s rather than 30 s keeps that gap shorter than a test's patience.
          PATINOX_MONITOR_ACK_WAIT_MS: "5000",
        };
      case "analyze":
        return {
          ...common,
          PATINOX_ANALYZE_INTERVAL_MS: "1000",
          // PATINOX_ANALYZE_RESOLVE_AFTER stays at its default (3 healthy windows), so a
          // finding resolves about when the verdict comes, as it would in production.
          // Verdicts on this traffic (~10 tool calls a second) within a few windows: the
          // default of 100 samples a side would take a minute of short windows.
          PATINOX_ANALYZE_EVOLUTION: JSON.stringify({ minSamples: EVOLUTION_MIN_SAMPLES }),
        };
      case "plan":
        return {
          ...common,
          PATINOX_PLAN_SINK: "github",
          PATINOX_PLAN_GITHUB_REPO: `${this.github.repository.owner}/${this.github.repository.name}`,
          GITHUB_TOKEN: GITHUB_TEST_TOKEN,
          GITHUB_API_URL: this.github.url,
          PATINOX_PLAN_APPLY_ON_MERGE: "true",
          PATINOX_PLAN_POLL_MS: "500",
          PATINOX_PLAN_RECONCILE_MS: "1000",
          PATINOX_PLAN_ACK_WAIT_MS: "2000",
          PATINOX_PLAN_RETRY_BASE_MS: "200",
          PATINOX_PLAN_RETRY_MAX_MS: "1000",
          // A test server: no need to space writes a second apart or sit out rate limits.
          PATINOX_PLAN_GITHUB_WRITE_INTERVAL_MS: "0",
          PATINOX_PLAN_GITHUB_MAX_WAIT_MS: "0",
        };
    }
  }

  /** Starts (or restarts) a service as a child process and waits until it has started. */
  async startService(service: LoopService): Promise<NodeProcess> {
    const process = this.#spawn(service);
    try {
      await process.waitForLog(`${service} started`);
    } catch (error) {
      await process[Symbol.asyncDispose]();
      throw error;
    }
    return process;
  }

  /**
   * Starts a service and kills it with SIGKILL right after GitHub answered its first
   * successful `operationId` (or request that `matches`) — see {@link killRightAfter}. The
   * listener is in place before the process starts, so a step taken during start-up is caught.
   */
  async startAndKillRightAfter(
    service: LoopService,
    step: string | ((request: RecordedRequest) => boolean),
    what = typeof step === "string" ? step : "the step",
  ): Promise<RecordedRequest> {
    const matches =
      typeof step === "string" ? (request: RecordedRequest) => request.operationId === step : step;
    return await this.killRightAfter(service, matches, what, () => this.#spawn(service));
  }

  /**
   * Kills `service` with SIGKILL from inside the GitHub server's request listener, right after
   * GitHub answered the first successful request that `matches`; resolves with that request
   * once the process is gone. `start` spawns the process after the listener is in place;
   * without it the running process is the one killed. Fails (killing the process, with
   * {@link explain}) if no such request comes within `timeoutMs`.
   */
  async killRightAfter(
    service: LoopService,
    matches: (request: RecordedRequest) => boolean,
    what: string,
    start?: () => NodeProcess,
    timeoutMs = 60_000,
  ): Promise<RecordedRequest> {
    let process: NodeProcess | undefined;
    let seen: RecordedRequest | undefined;
    const unlisten = this.github.onRequest((request) => {
      if (seen || request.status >= 400 || !matches(request)) return;
      seen = request;
      process?.child.kill("SIGKILL");
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      process = start ? start() : this.process(service);
      const running = process;
      timer = setTimeout(() => running.child.kill("SIGKILL"), timeoutMs);
      const { signal } = await running.exited;
      this.#processes.delete(service);
      if (!seen || signal !== "SIGKILL")
        throw new Error(
          `${service} exited (${signal ?? "no signal"}) without GitHub answering ${what} (waited up to ${timeoutMs} ms)\n${await this.explain()}`,
        );
      return seen;
    } finally {
      clearTimeout(timer);
      unlisten();
    }
  }

  #spawn(service: LoopService): NodeProcess {
    const process = new NodeProcess(join(ROOT, "services", service, "src", "main.ts"), {
      PATINOX_HEALTH_PORT: "0",
      PATINOX_HEALTH_HOST: "127.0.0.1",
      ...this.env(service),
    });
    this.#processes.set(service, process);
    this.#started.push({ service, process });
    return process;
  }

  /** The running process of a service. */
  process(service: LoopService): NodeProcess {
    const process = this.#processes.get(service);
    if (!process) throw new Error(`${service} is not running`);
    return process;
  }

  /** `kill -9` of a service; resolves once the process is gone. */
  async kill(service: LoopService): Promise<void> {
    const process = this.process(service);
    process.child.kill("SIGKILL");
    await process.exited;
    this.#processes.delete(service);
  }

  /** The agent's findings in the bucket. */
  async findings(): Promise<Finding[]> {
    return await this.#all(KnowledgeKeys.findingsOf(AGENT), Finding);
  }

  /** The agent's plans in the bucket. */
  async plans(): Promise<Plan[]> {
    return await this.#all(KnowledgeKeys.plansOf(AGENT), Plan);
  }

  /** The agent's metric windows, oldest first. */
  async windows(): Promise<MetricWindow[]> {
    const windows = await this.#all(KnowledgeKeys.metricsOf(AGENT), MetricWindow);
    return windows.sort((a, b) => a.windowStart - b.windowStart);
  }

  /** Windows that ended a while ago (Monitor has folded what they will hold), oldest first. */
  async completeWindows(): Promise<MetricWindow[]> {
    const now = Date.now();
    return (await this.windows()).filter((w) => w.windowStart + w.windowMs + 1_500 < now);
  }

  /** The live definition record of the agent. */
  async definition(): Promise<AgentDefinitionRecord | undefined> {
    return (await this.knowledge.get(KnowledgeKeys.agentConfig(AGENT), AgentDefinitionRecord))
      ?.value;
  }

  /** Analyze's before/after verdict on a plan, once written. */
  async evolution(planId: string): Promise<Evolution | undefined> {
    return (await this.knowledge.get(KnowledgeKeys.evolution(AGENT, planId), Evolution))?.value;
  }

  /** Every line every service process printed, killed ones included. */
  allLogLines(): string[] {
    return this.#started.flatMap(({ process }) => process.lines);
  }

  /** Requests to the GitHub test server that change something (anything but GET). */
  githubWrites(): RecordedRequest[] {
    return this.github.requests.filter((r) => r.method !== "GET");
  }

  /**
   * Where the loop stands — windows, findings, plans, pull requests — and the services' last
   * log lines: what a failing test prints.
   */
  async explain(): Promise<string> {
    const parts: string[] = [];
    try {
      for (const w of await this.windows()) {
        const t = w.tools.lookup_order;
        parts.push(
          `window ${w.windowStart}: ${w.runs} runs, lookup_order ${t?.calls ?? 0} calls ${t?.timeouts ?? 0} timeouts, versions ${JSON.stringify(w.versions)}`,
        );
      }
      for (const f of await this.findings())
        parts.push(`finding ${f.fingerprint} ${f.kind} ${f.target} ${f.status}`);
      for (const p of await this.plans())
        parts.push(
          `plan ${p.planId} ${p.status}: ${p.history.map((h) => `${h.status}${h.reason ? ` (${h.reason})` : ""}`).join(" → ")}`,
        );
    } catch (error) {
      parts.push(`bucket unreadable: ${String(error)}`);
    }
    for (const pull of this.github.repository.pulls())
      parts.push(`PR #${pull.number} ${pull.head} ${pull.state}${pull.merged ? " merged" : ""}`);
    parts.push(
      `GitHub: ${this.github.requests.map((r) => `${r.operationId}:${r.status}`).join(" ")}`,
    );
    parts.push(`GitHub problems: ${JSON.stringify(this.github.problems())}`);
    parts.push(`traffic: ${this.traffic.summary()}; tool: ${JSON.stringify(this.tool.counts)}`);
    for (const { service, process } of this.#started) {
      const interesting = process.lines.filter((l) => !l.includes('"run finished"'));
      parts.push(`--- ${service} (pid ${process.child.pid}), last lines:`);
      parts.push(...interesting.slice(-15));
    }
    return parts.join("\n");
  }

  /** Polls `probe` until it returns a value other than undefined/false; fails with {@link explain}. */
  async waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs = 60_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline)
        throw new Error(`${what}: not within ${timeoutMs} ms\n${await this.explain()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async #all<S extends z.ZodType>(filter: string, schema: S): Promise<z.output<S>[]> {
    const values: z.output<S>[] = [];
    for (const key of await this.knowledge.keys(filter)) {
      const entry = await this.knowledge.get(key, schema);
      if (entry) values.push(entry.value);
    }
    return values;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.traffic.stop();
    await Promise.allSettled([...this.#processes.values()].map((p) => p[Symbol.asyncDispose]()));
    await this.tool.stop().catch(() => undefined);
    await this.nc.close().catch(() => undefined);
    await this.github.stop();
    await this.nats[Symbol.asyncDispose]();
  }
}
