import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SOURCE_EXEC_ARGV } from "./bench-process.ts";
import type { LoadMessage, LoadPhase, LoadResult } from "./load-protocol.ts";

const entry = fileURLToPath(new URL("./load-generator.ts", import.meta.url));

/** The load generator's process, driven phase by phase over IPC. */
export class LoadGeneratorProcess implements AsyncDisposable {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #waiting: ((message: LoadMessage) => void) | undefined;
  #exitCode: number | string | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.#exitCode = code ?? signal ?? "unknown";
        this.#waiting?.({ kind: "failed", message: `load generator exited (${this.#exitCode})` });
        resolve();
      }),
    );
    child.on("message", (message: LoadMessage) => {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.(message);
    });
  }

  /** Forks the generator and waits until it is connected to NATS. */
  static async start(natsUrl: string): Promise<LoadGeneratorProcess> {
    const child = fork(entry, [], {
      execArgv: [...SOURCE_EXEC_ARGV],
      env: { ...process.env, BENCH_NATS_URL: natsUrl },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const generator = new LoadGeneratorProcess(child);
    const first = await generator.#next();
    if (first.kind !== "ready") throw new Error(`load generator did not start: ${describe(first)}`);
    return generator;
  }

  get pid(): number {
    if (this.#child.pid === undefined) throw new Error("the load generator did not start");
    return this.#child.pid;
  }

  /** Runs one phase and resolves with its figures. */
  async run(phase: Omit<LoadPhase, "kind">): Promise<LoadResult> {
    const next = this.#next();
    this.#child.send({ kind: "phase", ...phase } satisfies LoadPhase);
    const message = await next;
    if (message.kind !== "result") throw new Error(`load phase failed: ${describe(message)}`);
    return message;
  }

  #next(): Promise<LoadMessage> {
    return new Promise((resolve) => {
      if (this.#exitCode !== undefined) {
        resolve({ kind: "failed", message: `load generator exited (${this.#exitCode})` });
      } else {
        this.#waiting = resolve;
      }
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#exitCode !== undefined) return;
    this.#child.send({ kind: "exit" });
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

function describe(message: LoadMessage): string {
  return message.kind === "failed" ? message.message : message.kind;
}
