import { join } from "node:path";
import { freePort } from "@patinox/testkit";
import { REPO_ROOT } from "../repo.ts";
import { Child, waitForHttp } from "./child.ts";

/** A Patinox service running as its own process from source, as in the repository's tests. */
export interface ServiceProcess extends AsyncDisposable {
  readonly name: string;
  readonly child: Child;
  readonly healthPort: number;
}

/** Starts `services/<name>/src/main.ts` with `env` and waits until `/readyz` answers 200. */
export async function startServiceProcess(
  name: string,
  env: NodeJS.ProcessEnv,
): Promise<ServiceProcess> {
  const healthPort = await freePort();
  const child = new Child(
    process.execPath,
    ["--conditions=@patinox/source", "--import", "tsx", join("services", name, "src", "main.ts")],
    {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: "info",
        PATINOX_HEALTH_PORT: String(healthPort),
        PATINOX_INSTANCE_ID: `${name}-deploy-test`,
        ...env,
      },
    },
  );
  try {
    await waitForHttp(`http://127.0.0.1:${healthPort}/readyz`, 200, 90_000);
  } catch (error) {
    await child[Symbol.asyncDispose]();
    throw new Error(`${name} did not become ready: ${String(error)}\n${child.output}`);
  }
  return {
    name,
    child,
    healthPort,
    [Symbol.asyncDispose]: async () => {
      await child.terminate().catch(() => undefined);
      await child[Symbol.asyncDispose]();
    },
  };
}
