import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { ConnectionOptions } from "@nats-io/nats-core";
import { freePort } from "./free-port.ts";
import { probeNats } from "./nats-probe.ts";

/** Options for {@link NatsServer.start}. */
export interface NatsServerOptions {
  /** Enable JetStream with a file store in {@link NatsServerOptions.storeDir}. @default true */
  readonly jetstream?: boolean;
  /** Client port. @default a free ephemeral port on 127.0.0.1 */
  readonly port?: number;
  /** JetStream store directory. @default a new temporary directory, deleted on dispose */
  readonly storeDir?: string;
  /** Server name (required to be unique inside a cluster). @default "patinox-test" */
  readonly serverName?: string;
  /** Extra configuration text appended to the generated file (accounts, authorization, cluster). */
  readonly extraConfig?: string;
  /**
   * The `nats-server` executable. @default `NATS_SERVER_BIN`, else `nats-server` on PATH
   */
  readonly bin?: string;
  /** How long to wait for the server to accept connections. @default 20_000 */
  readonly readyTimeoutMs?: number;
  /**
   * Whether readiness also waits for the JetStream API to answer (a cluster needs a meta leader).
   * Turn off where the extra configuration requires credentials to connect. @default jetstream
   */
  readonly waitForJetStream?: boolean;
  /**
   * Options for the readiness probe's connection, where the extra configuration asks for
   * credentials or TLS (e.g. `{ token }` or `{ tls: { caFile } }`).
   */
  readonly probe?: Partial<ConnectionOptions>;
}

const liveProcesses = new Set<ChildProcess>();
process.once("exit", () => {
  // A crashed test run must not leave servers behind holding ports and temp dirs.
  for (const child of liveProcesses) child.kill("SIGKILL");
});

/** Resolves the executable: an explicit option, `NATS_SERVER_BIN` when not blank, else PATH. */
export function natsServerBin(explicit?: string): string {
  const fromEnv = process.env.NATS_SERVER_BIN?.trim();
  return explicit ?? (fromEnv ? fromEnv : "nats-server");
}

/**
 * A real `nats-server` process for tests: loopback only, its own port and store, never a
 * server someone else started. Dispose with `await using` to stop it and delete its store.
 */
export class NatsServer implements AsyncDisposable {
  readonly port: number;
  readonly storeDir: string;
  readonly serverName: string;
  readonly #options: NatsServerOptions;
  readonly #ownsStore: boolean;
  #child: ChildProcess | undefined;
  #log = "";

  private constructor(
    port: number,
    storeDir: string,
    ownsStore: boolean,
    options: NatsServerOptions,
  ) {
    this.port = port;
    this.storeDir = storeDir;
    this.serverName = options.serverName ?? "patinox-test";
    this.#options = options;
    this.#ownsStore = ownsStore;
  }

  /** Starts a server and waits until it accepts connections (and JetStream answers). */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const ownsStore = options.storeDir === undefined;
    const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), "patinox-nats-")));
    const port = options.port ?? (await freePort());
    const server = new NatsServer(port, storeDir, ownsStore, options);
    try {
      await server.#spawn();
    } catch (error) {
      await server[Symbol.asyncDispose]();
      throw error;
    }
    return server;
  }

  /** The client URL, e.g. `nats://127.0.0.1:41234`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** The process id while running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    );
  }

  /** What the server printed, for diagnosing a failed test. */
  get log(): string {
    return this.#log;
  }

  /** Stops the server gracefully (SIGTERM, then SIGKILL after 5 s). The store is kept. */
  async stop(): Promise<void> {
    await this.#terminate("SIGTERM");
  }

  /** Kills the server with SIGKILL, as a crash would. The store is kept. */
  async kill(): Promise<void> {
    await this.#terminate("SIGKILL");
  }

  /** Starts the server again on the same port and store (to prove persistence and reconnects). */
  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.#spawn();
  }

  /** Stops the server and deletes the store it created. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    if (this.#ownsStore) await rm(this.storeDir, { recursive: true, force: true });
  }

  #config(): string {
    const lines = [
      `listen: 127.0.0.1:${this.port}`,
      `server_name: ${JSON.stringify(this.serverName)}`,
    ];
    if (this.#options.jetstream ?? true) {
      lines.push(
        `jetstream { store_dir: ${JSON.stringify(this.storeDir)}, max_memory_store: 256MB, max_file_store: 4GB }`,
      );
    }
    if (this.#options.extraConfig) lines.push(this.#options.extraConfig);
    return `${lines.join("\n")}\n`;
  }

  async #spawn(): Promise<void> {
    await mkdir(this.storeDir, { recursive: true });
    const configFile = join(this.storeDir, `${this.serverName}.conf`);
    await writeFile(configFile, this.#config());
    const child = spawn(natsServerBin(this.#options.bin), ["-c", configFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    liveProcesses.add(child);
    const append = (chunk: Buffer) => {
      // Keep the tail only: a long test must not grow memory without bound.
      this.#log = (this.#log + chunk.toString("utf8")).slice(-64_000);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    const exited = new Promise<never>((_, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        liveProcesses.delete(child);
        reject(
          new Error(`nats-server exited (${code ?? signal}) before it was ready:\n${this.#log}`),
        );
      });
    });
    exited.catch(() => {}); // only observed while waiting for readiness
    await Promise.race([exited, this.#waitReady()]);
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + (this.#options.readyTimeoutMs ?? 20_000);
    const wantJs = this.#options.waitForJetStream ?? this.#options.jetstream ?? true;
    let lastError: unknown;
    while (Date.now() < deadline) {
      try {
        await probeNats(this.url, {
          jetstream: wantJs,
          ...(this.#options.probe ? { connection: this.#options.probe } : {}),
        });
        return;
      } catch (error) {
        lastError = error;
        await delay(50);
      }
    }
    throw new Error(
      `nats-server on ${this.url} was not ready in time: ${String(lastError)}\n${this.#log}`,
    );
  }

  async #terminate(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    liveProcesses.delete(child);
  }
}
