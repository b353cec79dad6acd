import type { DefinitionProblem, InvalidDefinition } from "@patinox/agents";
import type { WireError } from "@patinox/contracts";
import { ExitCode } from "./exit-code.ts";

/**
 * NATS did not accept a connection: refused, unknown host, timed out, TLS failed. The message
 * is the one line an operator needs, with the servers' credentials already redacted.
 */
export class NatsUnreachable extends Error {
  override readonly name = "NatsUnreachable";
  readonly code = "nats_unreachable" as const;
  readonly exitCode = ExitCode.Unavailable;
  /** The servers tried, credentials redacted. */
  readonly servers: readonly string[];
  /** Why, in a few words (`connection refused`, `host not found`, `no answer within 3000 ms`). */
  readonly reason: string;

  constructor(servers: readonly string[], reason: string, options?: ErrorOptions) {
    super(
      `cannot reach NATS at ${servers.join(", ")} (${reason}). Start it with \`pnpm start\`, or set NATS_URL.`,
      options,
    );
    this.servers = servers;
    this.reason = reason;
  }
}

/** NATS answered but refused the credentials from the environment. */
export class NatsAuthRejected extends Error {
  override readonly name = "NatsAuthRejected";
  readonly code = "nats_auth_rejected" as const;
  readonly exitCode = ExitCode.NoPermission;

  constructor(servers: readonly string[], reason: string, options?: ErrorOptions) {
    super(
      `NATS at ${servers.join(", ")} refused the credentials (${reason}). Check NATS_CREDS, NATS_NKEY_SEED, NATS_USER and NATS_PASSWORD, or NATS_TOKEN.`,
      options,
    );
  }
}

/** The connection closed under a running command (the server stopped, the network went). */
export class NatsConnectionLost extends Error {
  override readonly name = "NatsConnectionLost";
  readonly code = "nats_connection_lost" as const;
  readonly exitCode = ExitCode.Unavailable;

  constructor(server: string, options?: ErrorOptions) {
    super(`lost the connection to NATS at ${server}`, options);
  }
}

/** A request to NATS (JetStream API, discovery) got no answer in time. */
export class NatsRequestTimedOut extends Error {
  override readonly name = "NatsRequestTimedOut";
  readonly code = "nats_timeout" as const;
  readonly exitCode = ExitCode.Unavailable;

  constructor(what: string, options?: ErrorOptions) {
    super(`NATS did not answer in time (${what})`, options);
  }
}

/** The server runs without JetStream, so there is no knowledge bucket to read. */
export class JetStreamUnavailable extends Error {
  override readonly name = "JetStreamUnavailable";
  readonly code = "jetstream_unavailable" as const;
  readonly exitCode = ExitCode.Unavailable;

  constructor(server: string, options?: ErrorOptions) {
    super(
      `JetStream is not enabled on NATS at ${server}; Patinox keeps its knowledge there (run nats-server with -js).`,
      options,
    );
  }
}

/** The knowledge bucket does not exist (yet): no service has started against this NATS. */
export class BucketNotFound extends Error {
  override readonly name = "BucketNotFound";
  readonly code = "bucket_not_found" as const;
  readonly exitCode = ExitCode.NotFound;
  readonly bucket: string;

  constructor(bucket: string, options?: ErrorOptions) {
    super(
      `knowledge bucket "${bucket}" does not exist: any Patinox service creates it when it starts (\`pnpm start\`); to read another bucket, set PATINOX_BUCKET or pass --bucket.`,
      options,
    );
    this.bucket = bucket;
  }
}

/** The key holds no value (never written, or deleted). */
export class KeyNotFound extends Error {
  override readonly name = "KeyNotFound";
  readonly code = "key_not_found" as const;
  readonly exitCode = ExitCode.NotFound;
  readonly key: string;

  constructor(key: string, bucket: string) {
    super(`not found: ${key} (bucket ${bucket})`);
    this.key = key;
  }
}

/** The command line is wrong in a way the parser could not see (a bad key, a bad number). */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "usage" as const;
  readonly exitCode = ExitCode.Usage;
}

/**
 * Agent definition files are invalid; nothing was applied. The message lists every problem,
 * one `file:line:column field: message` line each, and `problems` holds them as data.
 */
export class DefinitionsInvalid extends Error {
  override readonly name = "DefinitionsInvalid";
  readonly code = "definition_invalid" as const;
  readonly exitCode = ExitCode.DataError;
  readonly problems: readonly DefinitionProblem[];

  constructor(error: InvalidDefinition) {
    const [summary, ...lines] = error.message.split("\n");
    super(`${summary?.replace(/:$/, "")}; nothing was applied:\n${lines.join("\n")}`, {
      cause: error,
    });
    this.problems = error.problems;
  }
}

/** The definition file or directory given does not exist, cannot be read, or holds no file. */
export class DefinitionsUnreadable extends Error {
  override readonly name = "DefinitionsUnreadable";
  readonly code = "no_input" as const;
  readonly exitCode = ExitCode.NoInput;
}

/** The agent has no definition in the bucket (never applied, or its history is gone). */
export class AgentNotFound extends Error {
  override readonly name = "AgentNotFound";
  readonly code = "agent_not_found" as const;
  readonly exitCode = ExitCode.NotFound;
  readonly agent: string;

  constructor(agent: string, bucket: string) {
    super(
      `no definition of agent ${agent} in bucket ${bucket}: apply one with \`patinox agents apply\``,
    );
    this.agent = agent;
  }
}

/**
 * The live record of an agent cannot be read (it fails the record schema, e.g. written by a
 * newer Patinox), so `apply` will not overwrite it.
 */
export class LiveDefinitionUnreadable extends Error {
  override readonly name = "LiveDefinitionUnreadable";
  readonly code = "record_invalid" as const;
  readonly exitCode = ExitCode.DataError;
}

/** A compare-and-set write lost to other writers on every attempt. */
export class WriteConflict extends Error {
  override readonly name = "WriteConflict";
  readonly code = "conflict" as const;
  readonly exitCode = ExitCode.TempFail;
}

/** Nothing serves the agents' subjects or jobs: Execute is not running (or not reachable). */
export class ExecuteUnavailable extends Error {
  override readonly name = "ExecuteUnavailable";
  readonly code = "execute_unavailable" as const;
  readonly exitCode = ExitCode.Unavailable;
}

/** The run's answer did not come in time. */
export class RunTimedOut extends Error {
  override readonly name = "RunTimedOut";
  readonly code = "run_timeout" as const;
  readonly exitCode = ExitCode.TempFail;
}

/** Execute refused the run before it started (unknown agent, rate limited…): its error, as sent. */
export class RunRefused extends Error {
  override readonly name = "RunRefused";
  readonly exitCode = ExitCode.RunFailed;
  readonly code: string;
  readonly error: WireError;

  constructor(error: WireError) {
    super(`${error.code}: ${error.message}${error.retryable ? " (retryable)" : ""}`);
    this.code = error.code;
    this.error = error;
  }
}

/** Every failure `patinox` reports as such (anything else is a bug, status 70). */
export type CliFailure =
  | ExecuteUnavailable
  | RunTimedOut
  | RunRefused
  | NatsUnreachable
  | NatsAuthRejected
  | NatsConnectionLost
  | NatsRequestTimedOut
  | JetStreamUnavailable
  | BucketNotFound
  | KeyNotFound
  | UsageError
  | DefinitionsInvalid
  | DefinitionsUnreadable
  | AgentNotFound
  | LiveDefinitionUnreadable
  | WriteConflict;

/** Whether `error` is one of the failures `patinox` expects and explains. */
export function isCliFailure(error: unknown): error is CliFailure {
  return (
    error instanceof ExecuteUnavailable ||
    error instanceof RunTimedOut ||
    error instanceof RunRefused ||
    error instanceof NatsUnreachable ||
    error instanceof NatsAuthRejected ||
    error instanceof NatsConnectionLost ||
    error instanceof NatsRequestTimedOut ||
    error instanceof JetStreamUnavailable ||
    error instanceof BucketNotFound ||
    error instanceof KeyNotFound ||
    error instanceof UsageError ||
    error instanceof DefinitionsInvalid ||
    error instanceof DefinitionsUnreadable ||
    error instanceof AgentNotFound ||
    error instanceof LiveDefinitionUnreadable ||
    error instanceof WriteConflict
  );
}
