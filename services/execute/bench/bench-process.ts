import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

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
}

/**
 * A server under measurement in its own Node process, so the load generator's allocations and
 * CPU never count as its own: its output goes to a file and its memory is read from `/proc`.
 */
export class BenchProcess implements AsyncDisposable {
  readonly name: string;
  readonly logFile: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #exitCode: number | string | undefined;

  private constructor(name: string, logFile: string, child: ChildProcess) {
    this.name = name;
    this.logFile = logFile;
    this.#child = child;
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
    try {
      const child = spawn(
        process.execPath,
        [...(options.nodeFlags ?? []), ...SOURCE_EXEC_ARGV, options.entry],
        { env: { ...process.env, ...options.env }, stdio: ["ignore", fd, fd] },
      );
      return new BenchProcess(options.name, options.logFile, child);
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

  /** Resident set size now, in bytes (Linux `/proc/<pid>/status`, `VmRSS`). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
    if (kib === undefined) throw new Error(`no VmRSS for ${this.name} (pid ${this.pid})`);
    return Number(kib) * 1024;
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
