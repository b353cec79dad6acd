import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";

/** A process under test: its output lines, and its exit. */
export class Child implements AsyncDisposable {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    command: string,
    args: readonly string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on("line", (line) => this.lines.push(line));
    }
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("process did not start");
    return this.child.pid;
  }

  get output(): string {
    return this.lines.join("\n");
  }

  /** Waits until a printed line matches (polling, generous timeout), failing early on exit. */
  async waitForLine(test: (line: string) => boolean, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (Date.now() < deadline) {
      const line = this.lines.find(test);
      if (line) return line;
      if (exited) break;
      await delay(50);
    }
    throw new Error(`no matching line (exited: ${exited}); output:\n${this.output}`);
  }

  /** Sends SIGTERM and waits for the exit. */
  async terminate(
    timeoutMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    const timer = delay(timeoutMs).then(() => {
      throw new Error(`no exit within ${timeoutMs} ms after SIGTERM; output:\n${this.output}`);
    });
    return await Promise.race([this.exited, timer]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}

/** Polls an HTTP endpoint until it answers `status` (any other answer or no answer: retry). */
export async function waitForHttp(
  url: string,
  status: number,
  timeoutMs = 60_000,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      const body: unknown = await response.json();
      if (response.status === status) return body;
      last = `${response.status} ${JSON.stringify(body)}`;
    } catch (error) {
      last = String(error);
    }
    await delay(100);
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}

/** Runs a command to completion; rejects with its output when it fails. */
export async function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  const child = new Child(command, args, { cwd, env: { ...process.env } });
  const { code, signal } = await child.exited;
  if (code !== 0)
    throw new Error(`${command} ${args.join(" ")} failed (${code ?? signal}):\n${child.output}`);
  return child.output;
}
