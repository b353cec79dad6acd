import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Every child still running, killed when this test process exits: a test that fails before
 * it disposes of its services (a timed-out `eventually`) must not leave them running, where
 * they would keep reconnecting to a gone nats-server and slow every later test.
 */
const running = new Set<ChildProcess>();
const killRunning = () => {
  for (const child of running) child.kill("SIGKILL");
};
// Registered while the importing test file is collected: runs after its last test, pass or
// fail. The exit hook covers a worker that ends otherwise.
afterAll(killRunning);
process.once("exit", killRunning);

/** A TypeScript entry point running as a real child process, as Kubernetes would run it. */
export class NodeProcess implements AsyncDisposable {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> =
    [];

  /**
   * Starts `entry`. With `detached`, the process leads its own process group, so a test can
   * signal the group as a terminal's Ctrl-C would ({@link NodeProcess.interruptGroup}).
   */
  constructor(entry: string, env: NodeJS.ProcessEnv, options: { detached?: boolean } = {}) {
    this.child = spawn(
      process.execPath,
      ["--conditions=@patinox/source", "--import", "tsx", entry],
      {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: "debug", ...env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: options.detached ?? false,
      },
    );
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        for (const waiter of [...this.#waiters]) {
          if (waiter.test(line)) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      });
    }
    running.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        running.delete(this.child);
        resolve({ code, signal });
      }),
    );
  }

  /** Sends SIGINT to the whole process group, as Ctrl-C in a terminal does. */
  interruptGroup(): void {
    process.kill(-this.pid, "SIGINT");
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("process did not start");
    return this.child.pid;
  }

  /** Waits for a printed line matching `test` (already printed or yet to come). */
  async waitForLine(test: (line: string) => boolean, timeoutMs = 30_000): Promise<string> {
    const seen = this.lines.find(test);
    if (seen) return seen;
    return await new Promise((resolve, reject) => {
      const fail = (why: string) => reject(new Error(`${why}; output:\n${this.lines.join("\n")}`));
      const timer = setTimeout(() => fail(`no matching line within ${timeoutMs} ms`), timeoutMs);
      // A process that exits prints nothing more: fail now rather than at the timeout. (Lines
      // already read are matched first: readline delivers them before `exit` settles here.)
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        setImmediate(() => fail(`process exited (${code ?? signal}) before a matching line`));
      });
      this.#waiters.push({
        test,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Waits for a JSON log line whose `msg` matches, and returns the parsed record. */
  async waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>> {
    const matches = (line: string) => {
      try {
        const record = JSON.parse(line) as { msg?: unknown };
        return (
          typeof record.msg === "string" &&
          (typeof msg === "string" ? record.msg === msg : msg.test(record.msg))
        );
      } catch {
        return false;
      }
    };
    return JSON.parse(await this.waitForLine(matches, timeoutMs)) as Record<string, unknown>;
  }

  /** Stops the process as an orchestrator would: SIGTERM, then SIGKILL after 15 s. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts a service's `src/main.ts` with the given environment and waits until it has started. */
export async function startServiceProcess(
  service: string,
  env: NodeJS.ProcessEnv,
): Promise<NodeProcess & { healthPort: number }> {
  const proc = new NodeProcess(join(ROOT, "services", service, "src", "main.ts"), {
    PATINOX_HEALTH_PORT: "0",
    PATINOX_HEALTH_HOST: "127.0.0.1",
    ...env,
  });
  try {
    const started = await proc.waitForLog(`${service} started`);
    return Object.assign(proc, { healthPort: Number(started.healthPort) });
  } catch (error) {
    await proc[Symbol.asyncDispose]();
    throw error;
  }
}

/** GETs a health endpoint and returns its status code (0 when nothing answers). */
export async function healthStatus(port: number, path: "/healthz" | "/readyz"): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) }))
      .status;
  } catch {
    return 0;
  }
}

/** Polls `probe` until it returns true or the timeout passes. */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
