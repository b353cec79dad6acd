import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { isDeepStrictEqual } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import {
  Finding,
  FindingEvent,
  KnowledgeKeys,
  MetricWindow,
  type MetricWindow as MetricWindowRecord,
  streamNames,
} from "@patinox/contracts";
import { type Knowledge, openKnowledge } from "@patinox/knowledge";
import { type RunningService, startService } from "@patinox/runtime";
import type { NatsServer } from "@patinox/testkit";
import { createAnalyzeService } from "../service.ts";

/** A clock the test moves by hand. */
export class ManualClock {
  ms: number;
  constructor(ms: number) {
    this.ms = ms;
  }
  readonly now = (): number => this.ms;
}

/** One log line, parsed. */
export type LogEntry = Readonly<Record<string, unknown>>;

/**
 * Analyze replicas hosted in-process on a shared nats-server, isolated by their own prefix and
 * bucket, on a clock the test moves; windows are written into the bucket as Monitor would.
 */
export class AnalyzeHarness implements AsyncDisposable {
  readonly prefix: string;
  readonly nc: NatsConnection;
  readonly knowledge: Knowledge;
  readonly clock: ManualClock;
  readonly logs: string[] = [];
  readonly #nats: NatsServer;
  readonly #env: Readonly<Record<string, string>>;
  readonly #replicas: RunningService[] = [];

  private constructor(fields: {
    nats: NatsServer;
    prefix: string;
    nc: NatsConnection;
    knowledge: Knowledge;
    clock: ManualClock;
    env: Readonly<Record<string, string>>;
  }) {
    this.#nats = fields.nats;
    this.prefix = fields.prefix;
    this.nc = fields.nc;
    this.knowledge = fields.knowledge;
    this.clock = fields.clock;
    this.#env = fields.env;
  }

  static async start(options: {
    nats: NatsServer;
    clock: ManualClock;
    env?: Readonly<Record<string, string>>;
    replicas?: number;
  }): Promise<AnalyzeHarness> {
    const prefix = `t${randomBytes(4).toString("hex")}`;
    const nc = await connect({ servers: options.nats.url });
    const knowledge = await openKnowledge(nc, { bucket: prefix });
    const harness = new AnalyzeHarness({
      nats: options.nats,
      prefix,
      nc,
      knowledge,
      clock: options.clock,
      env: options.env ?? {},
    });
    for (let i = 0; i < (options.replicas ?? 1); i++) await harness.startReplica();
    return harness;
  }

  /** Starts one more Analyze instance on the same prefix, bucket and clock. */
  async startReplica(): Promise<RunningService> {
    const logs = this.logs;
    const service = await startService(createAnalyzeService({ now: this.clock.now }), {
      env: {
        NATS_URL: this.#nats.url,
        PATINOX_HEALTH_PORT: "0",
        PATINOX_HEALTH_HOST: "127.0.0.1",
        PATINOX_PREFIX: this.prefix,
        PATINOX_BUCKET: this.prefix,
        PATINOX_SHUTDOWN_DEADLINE_MS: "2000",
        PATINOX_ANALYZE_INTERVAL_MS: "200",
        PATINOX_ANALYZE_DEBOUNCE_MS: "20",
        PATINOX_ANALYZE_RESOLVE_AFTER: "2",
        LOG_LEVEL: "debug",
        ...this.#env,
      },
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(
            ...chunk
              .toString("utf8")
              .split("\n")
              .filter((line) => line !== ""),
          );
          done();
        },
      }),
    });
    this.#replicas.push(service);
    return service;
  }

  /** Writes a window as Monitor would. */
  async putWindow(window: MetricWindowRecord): Promise<void> {
    await this.knowledge.put(
      KnowledgeKeys.metricsWindow(window.agent, window.windowStart),
      MetricWindow,
      window,
    );
  }

  /** The finding, if any. */
  async finding(agent: string, fingerprint: string): Promise<Finding | undefined> {
    return (await this.knowledge.get(KnowledgeKeys.finding(agent, fingerprint), Finding))?.value;
  }

  /** Polls until `check` passes on the finding (or the timeout), returning it. */
  async waitForFinding(
    agent: string,
    fingerprint: string,
    check: (f: Finding) => boolean,
    timeoutMs = 10_000,
  ): Promise<Finding> {
    return await waitFor(
      async () => {
        const f = await this.finding(agent, fingerprint);
        return f !== undefined && check(f) ? f : undefined;
      },
      timeoutMs,
      `finding ${fingerprint}`,
    );
  }

  /** Every finding event in the events stream, oldest first. */
  async events(): Promise<FindingEvent[]> {
    const jsm = await jetstreamManager(this.nc);
    const name = streamNames(this.prefix).events;
    const info = await jsm.streams.info(name);
    const out: FindingEvent[] = [];
    for (
      let seq = info.state.first_seq;
      seq <= info.state.last_seq && info.state.messages > 0;
      seq++
    ) {
      const message = await jsm.streams.getMessage(name, { seq });
      if (message !== null) out.push(FindingEvent.parse(message.json()));
    }
    return out;
  }

  /** Resolves with the first log entry holding every field of `fields`. */
  async logged(fields: Readonly<Record<string, unknown>>, timeoutMs = 10_000): Promise<LogEntry> {
    return await waitFor(
      async () =>
        this.logs
          .map((line) => JSON.parse(line) as LogEntry)
          .find((e) => Object.entries(fields).every(([k, v]) => isDeepStrictEqual(e[k], v))),
      timeoutMs,
      `log entry ${JSON.stringify(fields)}`,
    );
  }

  /** How many log lines hold every field of `fields`. */
  countLogged(fields: Readonly<Record<string, unknown>>): number {
    return this.logs
      .map((line) => JSON.parse(line) as LogEntry)
      .filter((e) => Object.entries(fields).every(([k, v]) => isDeepStrictEqual(e[k], v))).length;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const service of this.#replicas.splice(0)) await service.shutdown("test over");
    await this.nc.close();
  }
}

/** Polls `probe` every 25 ms until it returns a value. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
