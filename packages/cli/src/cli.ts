import { readFileSync } from "node:fs";
import { ClosedConnectionError, PermissionViolationError, TimeoutError } from "@nats-io/nats-core";
import type { DefinitionProblem } from "@patinox/agents";
import { ConfigError } from "@patinox/runtime";
import { defineCommand, parseArgs, renderUsage, runCommand, type SubCommandsDef } from "citty";
import { agentsCommand } from "./commands/agents.ts";
import { findingsCommand } from "./commands/findings.ts";
import { kvCommand } from "./commands/kv.ts";
import { metricsCommand } from "./commands/metrics.ts";
import { planCommand } from "./commands/plan.ts";
import { plansCommand } from "./commands/plans.ts";
import { runAgentCommand } from "./commands/run.ts";
import { statusCommand } from "./commands/status.ts";
import { DefinitionsInvalid, isCliFailure } from "./errors.ts";
import { ExitCode } from "./exit-code.ts";
import { globalArgs, hoistGlobalOptions } from "./global-options.ts";
import type { CliIo } from "./io.ts";
import { jsonLine } from "./output.ts";

/** The version in this package's `package.json` (the same path from `src/` and `dist/`). */
const VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/**
 * A command with any arguments: what citty keeps in `subCommands`. A command with typed
 * arguments is not a `CommandDef<ArgsDef>` (its `run` wants more than any arguments give),
 * so the tree is walked with citty's own element type.
 */
type AnyCommand = Extract<SubCommandsDef[string], { meta?: unknown }>;

/** Builds the `patinox` command tree around one {@link CliIo}. */
export function createProgram(
  io: CliIo,
  setExitCode: (code: ExitCode) => void = () => undefined,
): AnyCommand {
  return defineCommand({
    meta: {
      name: "patinox",
      version: VERSION,
      description:
        "Inspect a running Patinox (services, knowledge, metrics, findings, plans), apply agent definitions and run agents",
    },
    args: { ...globalArgs },
    subCommands: {
      status: statusCommand(io),
      kv: kvCommand(io),
      agents: agentsCommand(io),
      run: runAgentCommand(io, setExitCode),
      metrics: metricsCommand(io),
      findings: findingsCommand(io),
      plans: plansCommand(io),
      plan: planCommand(io),
    },
  });
}

/**
 * Runs `patinox` with the arguments after the program name and returns the exit status
 * (see {@link ExitCode}). Never throws and never exits the process: every failure becomes one
 * line on stderr (and, with `--json`, one `{"error":…}` line on stdout) and a status.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const rawArgs = hoistGlobalOptions(argv);
  // A command that did its job but reports a non-zero status (a run that failed) sets it here.
  let exitCode: ExitCode = ExitCode.Ok;
  const program = createProgram(io, (code) => {
    exitCode = code;
  });
  const beforeSeparator = rawArgs.slice(
    0,
    rawArgs.includes("--") ? rawArgs.indexOf("--") : undefined,
  );
  if (beforeSeparator.includes("--help") || beforeSeparator.includes("-h")) {
    io.stdout.write(await usageFor(program, rawArgs));
    return ExitCode.Ok;
  }
  if (rawArgs.length === 1 && rawArgs[0] === "--version") {
    io.stdout.write(`${VERSION}\n`);
    return ExitCode.Ok;
  }
  try {
    await runCommand(program, { rawArgs });
    return exitCode;
  } catch (error) {
    if (io.signal?.aborted) return ExitCode.Interrupted;
    if (isUsageFromParser(error)) {
      io.stderr.write(await usageFor(program, rawArgs));
    }
    const failure = describeFailure(error);
    io.stderr.write(`patinox: ${failure.message}\n`);
    if (wantsJson(rawArgs)) io.stdout.write(jsonLine({ error: failure }));
    return failure.exitCode;
  }
}

/** What a failed run reports: the `--json` error object, also the source of the stderr line. */
export interface FailureReport {
  /** A stable identifier of the condition (`nats_unreachable`, `key_not_found`…). */
  readonly code: string;
  readonly message: string;
  readonly exitCode: ExitCode;
  /** `definition_invalid` only: every problem, with file, line, column and field. */
  readonly problems?: readonly DefinitionProblem[];
}

/** The boundary normaliser: any error from a command becomes a {@link FailureReport}. */
export function describeFailure(error: unknown): FailureReport {
  if (error instanceof DefinitionsInvalid) {
    return {
      code: error.code,
      message: error.message,
      exitCode: error.exitCode,
      problems: error.problems,
    };
  }
  if (isCliFailure(error)) {
    return { code: error.code, message: error.message, exitCode: error.exitCode };
  }
  if (error instanceof ConfigError) {
    return { code: error.code, message: error.message, exitCode: ExitCode.Config };
  }
  if (isUsageFromParser(error)) {
    return { code: "usage", message: error.message, exitCode: ExitCode.Usage };
  }
  if (error instanceof PermissionViolationError) {
    return {
      code: "nats_permission_denied",
      message: `NATS denied permission to ${error.operation} on ${error.subject}; the configured user needs it for this command`,
      exitCode: ExitCode.NoPermission,
    };
  }
  if (error instanceof TimeoutError) {
    return {
      code: "nats_timeout",
      message: "NATS did not answer in time",
      exitCode: ExitCode.Unavailable,
    };
  }
  if (error instanceof ClosedConnectionError) {
    return {
      code: "nats_connection_lost",
      message: "the connection to NATS closed",
      exitCode: ExitCode.Unavailable,
    };
  }
  return {
    code: "internal",
    message: `unexpected error (a bug in patinox; please report it): ${describe(error)}`,
    exitCode: ExitCode.Software,
  };
}

/** citty's own argument errors (unknown command, missing argument); its class is not exported. */
function isUsageFromParser(error: unknown): error is Error {
  return error instanceof Error && error.name === "CLIError";
}

function wantsJson(rawArgs: string[]): boolean {
  try {
    return parseArgs(rawArgs, globalArgs).json === true;
  } catch {
    return false;
  }
}

/** The usage of the deepest command named in `rawArgs` (`patinox kv get --help`). */
async function usageFor(program: AnyCommand, rawArgs: readonly string[]): Promise<string> {
  let command = program;
  const path = ["patinox"];
  for (const token of rawArgs) {
    if (token === "--") break;
    if (token.startsWith("-")) continue;
    const subCommands = command.subCommands as Record<string, AnyCommand> | undefined;
    const next = subCommands?.[token];
    if (!next) break;
    command = next;
    path.push(token);
  }
  const parent =
    path.length > 1 ? { meta: { name: path.slice(0, -1).join(" "), version: VERSION } } : undefined;
  return `${await renderUsage(command, parent)}\n`;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined ? "" : ` (cause: ${describe(error.cause)})`;
  return `${error.name}: ${error.message}${cause}`;
}
