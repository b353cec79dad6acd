import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { ActorDefinition } from "@patinox/actors";

/** How to run one service as a child process. */
export interface ServiceProcessSpec {
  readonly service: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** How long a child may take to stop after SIGTERM before it is killed. */
  readonly stopTimeoutMs: number;
  /** Receives every line the child prints (stdout and stderr). */
  readonly onLine: (line: string) => void;
  /** Told each time a child process starts, with its pid. */
  readonly onStart?: (pid: number) => void;
}

/** What a service-process actor is told: its child exited. */
export interface ChildExited {
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A supervised child process as an actor: `start` spawns the process; when it exits on its
 * own, the actor fails, and its supervisor restarts it (a new process) with backoff. Stopping
 * the actor sends SIGTERM and waits (killing after `stopTimeoutMs`). Messages from an earlier
 * incarnation's process are ignored by pid, since the mailbox outlives a restart.
 */
export function serviceProcess(spec: ServiceProcessSpec): ActorDefinition<ChildExited> {
  return {
    name: spec.service,
    mailbox: { capacity: 16 },
    start(context) {
      const child: ChildProcess = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group: Ctrl-C in the terminal reaches only the stack, which then
        // stops each service with one SIGTERM (a second signal would make it exit at once).
        detached: true,
      });
      if (child.pid !== undefined) spec.onStart?.(child.pid);
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on("line", spec.onLine);
      }
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.once("exit", (code, signal) => {
        if (!context.signal.aborted) context.self.tell({ pid: child.pid, code, signal });
      });
      // A process that cannot be spawned (missing cwd or executable) emits `error` and no
      // `exit`: tell the actor, so the supervisor retries it instead of showing it running.
      child.once("error", (error) => {
        spec.onLine(`failed to start: ${error.message}`);
        if (!context.signal.aborted)
          context.self.tell({ pid: child.pid, code: null, signal: null });
      });
      return {
        receive(message) {
          if (message.pid !== child.pid) return;
          throw new Error(`${spec.service} exited (${message.code ?? message.signal})`);
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), spec.stopTimeoutMs);
          await exited;
          clearTimeout(timer);
        },
      };
    },
  };
}
