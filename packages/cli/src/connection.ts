import {
  AuthorizationError,
  ConnectionError,
  type ConnectionOptions,
  type NatsConnection,
  TimeoutError,
  UserAuthenticationExpiredError,
} from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import {
  ConfigError,
  displayServers,
  type Environment,
  NatsConnectionConfigSchema,
  natsConnectionOptions,
  RuntimeConfigSchema,
  readConfig,
} from "@patinox/runtime";
import type { z } from "zod";
import { NatsAuthRejected, NatsUnreachable } from "./errors.ts";

/**
 * The service variables the CLI reads: how to reach NATS and which deployment to look at.
 * Picked from the runtime's own schema so auth and TLS parse exactly as the services parse
 * them, while a variable only a service uses (a health port, a log level) cannot stop the CLI.
 */
const CliConfigSchema = NatsConnectionConfigSchema.extend(
  RuntimeConfigSchema.pick({ PATINOX_PREFIX: true, PATINOX_BUCKET: true }).shape,
);

/** The parsed, frozen configuration the CLI connects with. */
export type CliConfig = Readonly<z.output<typeof CliConfigSchema>>;

/** Command-line values that take precedence over the environment. */
export interface ConfigOverrides {
  /** `--server`: replaces `NATS_URL`. */
  readonly server?: string | undefined;
  /** `--bucket`: replaces `PATINOX_BUCKET`. */
  readonly bucket?: string | undefined;
}

/**
 * Reads the CLI's configuration from the environment, with `--server` and `--bucket` in place
 * of `NATS_URL` and `PATINOX_BUCKET`. The overrides go through the same schema, so a bad
 * `--server` is reported like a bad `NATS_URL`, naming the option. Throws {@link ConfigError}.
 */
export function readCliConfig(env: Environment, overrides: ConfigOverrides = {}): CliConfig {
  const merged: Record<string, string | undefined> = { ...env };
  if (overrides.server !== undefined) merged.NATS_URL = overrides.server;
  if (overrides.bucket !== undefined) merged.PATINOX_BUCKET = overrides.bucket;
  try {
    return readConfig(CliConfigSchema, merged);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const renamed = { NATS_URL: overrides.server, PATINOX_BUCKET: overrides.bucket };
    throw new ConfigError(
      error.issues.map((issue) => {
        const option = issue.variable === "NATS_URL" ? "--server" : "--bucket";
        const overridden = renamed[issue.variable as keyof typeof renamed] !== undefined;
        return overridden ? { ...issue, variable: `${option} (${issue.variable})` } : issue;
      }),
    );
  }
}

/** How long the first connection may take before the CLI gives up and says so. */
export const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Connection options for a command-line client: the services' auth and TLS, but one attempt
 * and a short timeout. The services' options wait and reconnect forever, which suits a pod
 * and would leave a user staring at a silent terminal.
 */
export function cliConnectionOptions(config: CliConfig): ConnectionOptions {
  let base: ConnectionOptions;
  try {
    base = natsConnectionOptions(config, "patinox-cli");
  } catch (error) {
    // The runtime reads NATS_CREDS eagerly; a missing file is a configuration mistake.
    throw new ConfigError([
      { variable: "NATS_CREDS", expected: `a readable .creds file (${errorCode(error)})` },
    ]);
  }
  return {
    ...base,
    reconnect: false,
    maxReconnectAttempts: 0,
    waitOnFirstConnect: false,
    timeout: CONNECT_TIMEOUT_MS,
  };
}

/**
 * Connects once. Every way of failing becomes one explained error: {@link NatsUnreachable},
 * {@link NatsAuthRejected}, or a {@link ConfigError} for an unreadable TLS file.
 */
export async function connectCli(config: CliConfig): Promise<NatsConnection> {
  const options = cliConnectionOptions(config);
  const servers = displayServers(config.NATS_URL);
  try {
    return await connect(options);
  } catch (error) {
    if (error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError) {
      throw new NatsAuthRejected(servers, error.message, { cause: error });
    }
    const tlsVariable = unreadableTlsFile(error, config);
    if (tlsVariable) {
      throw new ConfigError([
        { variable: tlsVariable, expected: `a readable PEM file (${errorCode(error)})` },
      ]);
    }
    throw new NatsUnreachable(servers, unreachableReason(error), { cause: error });
  }
}

/**
 * Runs `use` with a fresh connection and closes it afterwards. An abort of `signal` (Ctrl-C)
 * closes the connection at once, which ends whatever request is waiting on it.
 */
export async function withNats<T>(
  config: CliConfig,
  signal: AbortSignal | undefined,
  use: (nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const nc = await connectCli(config);
  const close = () => void nc.close().catch(() => undefined);
  signal?.addEventListener("abort", close, { once: true });
  try {
    if (signal?.aborted) close();
    return await use(nc);
  } finally {
    signal?.removeEventListener("abort", close);
    await nc.close().catch(() => undefined);
  }
}

function unreachableReason(error: unknown): string {
  const code = errorCode(error);
  if (
    code === "ECONNREFUSED" ||
    (error instanceof ConnectionError && /refused/i.test(error.message))
  ) {
    return "connection refused";
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "ECONNRESET") return "connection reset";
  if (error instanceof TimeoutError) return `no answer within ${CONNECT_TIMEOUT_MS} ms`;
  return error instanceof Error ? error.message : String(error);
}

function unreadableTlsFile(error: unknown, config: CliConfig): string | undefined {
  const path = error instanceof Error && "path" in error ? error.path : undefined;
  if (typeof path !== "string") return undefined;
  const files = {
    NATS_TLS_CA: config.NATS_TLS_CA,
    NATS_TLS_CERT: config.NATS_TLS_CERT,
    NATS_TLS_KEY: config.NATS_TLS_KEY,
  };
  return Object.entries(files).find(([, file]) => file === path)?.[0];
}

function errorCode(error: unknown): string {
  const own = error instanceof Error && "code" in error ? error.code : undefined;
  const cause =
    error instanceof Error && error.cause instanceof Error && "code" in error.cause
      ? error.cause.code
      : undefined;
  return String(own ?? cause ?? (error instanceof Error ? error.message : error));
}
