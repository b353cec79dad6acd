import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { freePort, probeNats } from "@patinox/testkit";
import type { StackConfig } from "./stack-config.ts";

/** Where the local stack's NATS comes from. */
export type NatsSource =
  | { readonly kind: "configured"; readonly url: string }
  | { readonly kind: "local"; readonly url: string }
  | {
      readonly kind: "embedded";
      readonly url: string;
      readonly process: ChildProcess;
      readonly storeDir: string;
    };

/** No NATS could be found or started; the message says how to get one. */
export class NatsUnavailable extends Error {
  override readonly name = "NatsUnavailable";
  readonly code = "nats_unavailable" as const;
}

export const INSTALL_HELP = `No NATS server answered and no nats-server executable was found.
Patinox needs NATS with JetStream. Any one of these works:
  Debian/Ubuntu:   sudo apt-get install nats-server
  macOS:           brew install nats-server
  Release binary:  https://github.com/nats-io/nats-server/releases (put nats-server on PATH or set NATS_SERVER_BIN)
  Container:       docker run -p 4222:4222 nats:2 -js
Then run \`pnpm start\` again, or point NATS_URL at a server you already have.`;

/** Whether a NATS server with JetStream answers at `url`. */
export async function jetStreamAnswers(url: string): Promise<boolean> {
  return await probeNats(url).then(
    () => true,
    () => false,
  );
}

/** The `nats-server` executable: `NATS_SERVER_BIN` when set, else the first on PATH. */
export function findNatsServer(environment: NodeJS.ProcessEnv): string | undefined {
  const explicit = environment.NATS_SERVER_BIN?.trim();
  if (explicit) return explicit;
  for (const dir of (environment.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "nats-server"))) return join(dir, "nats-server");
  }
  return undefined;
}

/**
 * Finds NATS for the local stack, in order: `NATS_URL` when set (used as is); a server with
 * JetStream at `PATINOX_LOCAL_NATS_URL` (default 127.0.0.1:4222); else an embedded
 * `nats-server` storing under `<stateDir>/nats`, on that address when its port is free (so
 * `pnpm patinox` finds it with no settings) or on a free port otherwise.
 */
export async function resolveNats(
  config: Pick<StackConfig, "NATS_URL" | "PATINOX_LOCAL_NATS_URL">,
  environment: NodeJS.ProcessEnv,
  stateDir: string,
): Promise<NatsSource> {
  if (config.NATS_URL) return { kind: "configured", url: config.NATS_URL };
  const local = config.PATINOX_LOCAL_NATS_URL;
  if (await jetStreamAnswers(local)) return { kind: "local", url: local };
  const bin = findNatsServer(environment);
  if (!bin) throw new NatsUnavailable(INSTALL_HELP);
  const localPort = Number(new URL(local.replace(/^nats:/, "http:")).port || 4222);
  const port = (await portFree(localPort)) ? localPort : await freePort();
  const storeDir = join(stateDir, "nats");
  await mkdir(storeDir, { recursive: true });
  const child = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir], {
    stdio: ["ignore", "ignore", "pipe"],
    // Its own process group: a terminal's Ctrl-C must not stop NATS before the services
    // have drained; the stack stops it last.
    detached: true,
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  child.once("error", (error) => {
    stderr += `\n${error.message}`;
  });
  const url = `nats://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null || stderr.includes("ENOENT")) {
      throw new NatsUnavailable(`nats-server (${bin}) could not start:\n${stderr}`);
    }
    if (await jetStreamAnswers(url)) return { kind: "embedded", url, process: child, storeDir };
    await delay(100);
  }
  child.kill("SIGKILL");
  throw new NatsUnavailable(`nats-server did not answer on ${url} within 10 s:\n${stderr}`);
}

/** Whether a TCP port on loopback is free to listen on. */
export async function portFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
