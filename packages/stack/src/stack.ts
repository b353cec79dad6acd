import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { createSupervisor, type Supervisor } from "@patinox/actors";
import { PATINOX_SERVICES, type PatinoxServiceName } from "@patinox/contracts";
import { ModelServer, simulatedModel } from "@patinox/testkit";
import { formatLogLine } from "./log-lines.ts";
import { type NatsSource, portFree, resolveNats } from "./nats-discovery.ts";
import { serviceProcess } from "./service-process.ts";
import type { StackConfig } from "./stack-config.ts";

/** Options for {@link startStack}. */
export interface StackOptions {
  /** The repository root (holds `pnpm-workspace.yaml`). */
  readonly root: string;
  /** Passed on to the services. */
  readonly env: NodeJS.ProcessEnv;
  readonly config: StackConfig;
  /** Where lines go (the terminal). */
  readonly print: (line: string) => void;
  readonly colour?: boolean;
  /** Told when the supervisor gives up on a service that keeps crashing. */
  readonly onGiveUp?: (error: Error) => void;
}

/** A running local stack. */
export interface Stack {
  readonly nats: NatsSource;
  readonly model: ModelSource;
  readonly healthPorts: Readonly<Record<PatinoxServiceName, number>>;
  /** Current pid of each service's process (changes when it is restarted). */
  readonly pids: Readonly<Record<string, number>>;
  /** Stops the services gracefully (SIGTERM, in reverse order), then an embedded NATS. */
  stop(): Promise<void>;
  /** Kills everything at once. */
  kill(): void;
}

/** Where the services' model comes from. */
export type ModelSource =
  | { readonly kind: "configured" }
  | {
      readonly kind: "simulated";
      readonly baseURL: string;
      readonly models: readonly string[];
      readonly server: ModelServer;
    };

/**
 * With `OPENAI_API_KEY`, `OPENAI_BASE_URL` or `PATINOX_PROVIDERS` set, the services use that
 * provider. Otherwise the stack serves the simulated OpenAI-compatible model (deterministic,
 * `simulated-*` model names) so everything works with no key and no network.
 */
async function resolveModel(environment: NodeJS.ProcessEnv): Promise<ModelSource> {
  const configured = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "PATINOX_PROVIDERS"].some(
    (name) => (environment[name]?.trim() ?? "") !== "",
  );
  if (configured) return { kind: "configured" };
  const simulated = simulatedModel();
  const server = await ModelServer.start({ ...simulated, record: false });
  return { kind: "simulated", baseURL: server.baseURL, models: simulated.models, server };
}

/** Walks up from `start` to the directory holding `pnpm-workspace.yaml`. */
export function findRepositoryRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${start}`);
    dir = parent;
  }
  return dir;
}

/**
 * Brings up the local stack: NATS (configured, already local, or embedded under `.patinox/`),
 * then each service as a child process under a one-for-one supervisor, so a crashed service
 * is restarted with backoff while the others run on.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const model = await resolveModel(options.env);
  const nats = await resolveNats(
    options.config,
    options.env,
    options.config.PATINOX_STATE_DIR ?? join(options.root, ".patinox"),
  );
  const ports: Record<string, number> = {};
  let candidate = options.config.PATINOX_STACK_FIRST_PORT;
  for (const service of PATINOX_SERVICES) {
    while (!(await portFree(candidate, "0.0.0.0"))) candidate++;
    ports[service] = candidate++;
  }
  const pids: Record<string, number> = {};
  const supervisor: Supervisor = createSupervisor({
    name: "stack",
    strategy: "one-for-one",
    // Backoff reaches 15 s, so 30 restarts a minute is never reached by a crash loop: a
    // broken service keeps being retried (as Kubernetes would) without taking the others down.
    intensity: { maxRestarts: 30, withinMs: 60_000 },
    backoff: { initialMs: 500, maxMs: 15_000, factor: 2, jitter: 0.2 },
    onEvent: (event) => {
      const child = "child" in event ? event.child.split("/").at(-1) : undefined;
      if (event.type === "child-failed")
        options.print(`stack   | ${child} failed: ${errorText(event.error)}`);
      if (event.type === "child-restarting") {
        options.print(
          `stack   | restarting ${child} in ${Math.round(event.delayMs)} ms (attempt ${event.attempt})`,
        );
      }
    },
    onGiveUp: (error) => options.onGiveUp?.(error),
  });
  const stopNats = async () => {
    if (nats.kind !== "embedded" || nats.process.exitCode !== null) return;
    const exited = new Promise((resolve) => nats.process.once("exit", resolve));
    nats.process.kill("SIGTERM");
    await exited;
  };
  try {
    for (const [index, service] of PATINOX_SERVICES.entries()) {
      await supervisor.spawn(
        serviceProcess({
          service,
          command: process.execPath,
          args: ["--conditions=@patinox/source", "--import", "tsx", "src/main.ts"],
          cwd: join(options.root, "services", service),
          env: {
            ...options.env,
            NATS_URL: nats.url,
            ...(model.kind === "simulated" ? { OPENAI_BASE_URL: model.baseURL } : {}),
            PATINOX_HEALTH_PORT: String(ports[service]),
            PATINOX_INSTANCE_ID: options.env.PATINOX_INSTANCE_ID ?? `local-${service}`,
          },
          stopTimeoutMs: 15_000,
          onLine: (line) =>
            options.print(formatLogLine(service, line, options.colour ?? false, index)),
          onStart: (pid) => {
            pids[service] = pid;
            options.print(`stack   | ${service} started (pid ${pid})`);
          },
        }),
      );
    }
  } catch (error) {
    // Leave nothing running behind a failed start.
    await supervisor.stop();
    await stopNats();
    if (model.kind === "simulated") await model.server.close();
    throw error;
  }
  return {
    nats,
    model,
    healthPorts: ports as Stack["healthPorts"],
    pids,
    async stop() {
      await supervisor.stop();
      await stopNats();
      if (model.kind === "simulated") await model.server.close();
    },
    kill() {
      for (const pid of Object.values(pids)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      if (nats.kind === "embedded") nats.process.kill("SIGKILL");
    },
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
