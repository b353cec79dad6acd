import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { MemoryReading } from "./memory-probe.ts";
import { rssBytes } from "./process-usage.ts";

/** Node flags that run a TypeScript entry from workspace sources, as `pnpm start` does. */
export const SOURCE_EXEC_ARGV: readonly string[] = [
  "--conditions=@patinox/source",
  "--import",
  "tsx",
];

/** Options of {@link BenchProcess.start}. */
export interface BenchProcessOptions {
  /** A label for messages. */
  readonly name: string;
  /** The TypeScript entry point. */
  readonly entry: string;
  /** Added to the inherited environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Where stdout and stderr go (a file, so a chatty process never waits on a pipe). */
  readonly logFile: string;
  /** Extra Node flags (e.g. `--cpu-prof`). @default [] */
  readonly nodeFlags?: readonly string[];
  /**
   * Preload the memory probe (`memory-probe.ts`): {@link BenchProcess.collectAndRead} then
   * reads memory after a full GC. @default false
   */
  readonly memoryProbe?: boolean;
}

const MEMORY_PROBE = fileURLToPath(new URL("./memory-probe.ts", import.meta.url));

/**
 * A server under measurement in its own Node process, so the load generator's allocations and
 * CPU never count as its own: its output goes to a file and its memory is read from `/proc`.
 */
export class BenchProcess implements AsyncDisposable {
  readonly name: string;
  readonly logFile: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #memoryFile: string | undefined;
  #probes = 0;
  #exitCode: number | string | undefined;

  private constructor(
    name: string,
    logFile: string,
    child: ChildProcess,
    memoryFile: string | undefined,
  ) {
    this.name = name;
    this.logFile = logFile;
    this.#child = child;
    this.#memoryFile = memoryFile;
    this.#exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exitCode = code ?? signal ?? "unknown";
        resolve();
      }),
    );
  }

  /** Spawns the process; it is not ready until {@link BenchProcess.waitForLine} says so. */
  static start(options: BenchProcessOptions): BenchProcess {
    const fd = openSync(options.logFile, "a");
    const memoryFile = options.memoryProbe ? `${options.logFile}.memory` : undefined;
    const probe = memoryFile ? ["--import", MEMORY_PROBE] : [];
    try {
      const child = spawn(
        process.execPath,
        [
          ...(options.nodeFlags ?? []),
          ...(memoryFile ? ["--expose-gc"] : []),
          ...SOURCE_EXEC_ARGV,
          ...probe,
          options.entry,
        ],
        {
          env: {
            ...process.env,
            ...options.env,
            ...(memoryFile ? { BENCH_MEMORY_FILE: memoryFile } : {}),
          },
          stdio: ["ignore", fd, fd],
        },
      );
      return new BenchProcess(options.name, options.logFile, child, memoryFile);
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd);
    }
  }

  get pid(): number {
    if (this.#child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.#child.pid;
  }

  /** Resolves with the first output line `test` accepts; fails if the process exits first. */
  async waitForLine(test: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = await readFile(this.logFile, "utf8");
      const line = text.split("\n").find(test);
      if (line !== undefined) return line;
      if (this.#exitCode !== undefined || Date.now() > until) {
        const why = this.#exitCode !== undefined ? `exited (${this.#exitCode})` : "timed out";
        throw new Error(`${this.name} ${why} before it was ready; output:\n${tail(text)}`);
      }
      await delay(50);
    }
  }

  /** Resolves once `url` answers 200 (a health server's `/readyz`); fails if the process exits. */
  async waitForReady(url: string, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const status = await fetch(url).then(
        (response) => response.status,
        () => 0,
      );
      if (status === 200) return;
      if (this.#exitCode !== undefined || Date.now() > until) {
        const why = this.#exitCode !== undefined ? `exited (${this.#exitCode})` : "timed out";
        const text = await readFile(this.logFile, "utf8");
        throw new Error(`${this.name} ${why} before ${url} said ready; output:\n${tail(text)}`);
      }
      await delay(100);
    }
  }

  /** Asks the memory probe for a full GC and reads the process's memory after it. */
  async collectAndRead(timeoutMs = 30_000): Promise<MemoryReading> {
    const file = this.#memoryFile;
    if (file === undefined) throw new Error(`${this.name} runs without the memory probe`);
    const probe = ++this.#probes;
    this.#child.kill("SIGUSR2");
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = await readFile(file, "utf8").catch(() => "");
      const reading = text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as MemoryReading)
        .find((r) => r.probe === probe);
      if (reading !== undefined) return reading;
      if (this.#exitCode !== undefined || Date.now() > until) {
        throw new Error(`${this.name} did not answer memory probe ${probe}`);
      }
      await delay(20);
    }
  }

  /** Resident set size now, in bytes. */
  rssBytes(): number {
    return rssBytes(this.pid);
  }

  /** SIGTERM (a graceful stop, which also writes a `--cpu-prof` profile), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.#exitCode !== undefined) return;
    this.#child.kill("SIGTERM");
    const killed = delay(15_000).then(() => {
      if (this.#exitCode === undefined) this.#child.kill("SIGKILL");
    });
    await Promise.race([this.#exited, killed]);
    await this.#exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

function tail(text: string): string {
  return text.split("\n").slice(-30).join("\n");
}

/** A log file path for `name` inside `dir`. */
export function logPath(dir: string, name: string): string {
  return join(dir, `${name}.log`);
}

/**
 * Processes stopped together, last started first (`AsyncDisposableStack` is not in Node 20).
 */
export class ProcessGroup implements AsyncDisposable {
  readonly #members: AsyncDisposable[] = [];

  /** Adds `member`, to be disposed with the group; returns it. */
  use<T extends AsyncDisposable>(member: T): T {
    this.#members.push(member);
    return member;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const member of this.#members.reverse()) {
      try {
        await member[Symbol.asyncDispose]();
      } catch (error) {
        process.stderr.write(`[bench] stopping a process failed: ${String(error)}\n`);
      }
    }
    this.#members.length = 0;
  }
}
