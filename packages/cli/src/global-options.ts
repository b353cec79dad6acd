import { UsageError } from "./errors.ts";

/** Default for `--timeout`: how long discovery waits for services to answer. */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 1_000;

/**
 * The options every command takes (citty argument definitions). Each leaf command spreads
 * these into its own `args`, so `patinox status --json` and `patinox kv ls --server …` parse
 * them; {@link hoistGlobalOptions} moves any written before the command name to where they parse.
 */
export const globalArgs = {
  json: {
    type: "boolean",
    description: "Machine-readable output: one JSON document (kv watch: one JSON object per line)",
  },
  server: {
    type: "string",
    valueHint: "url",
    description: "NATS server URL(s), comma-separated; overrides NATS_URL",
  },
  bucket: {
    type: "string",
    valueHint: "name",
    description: "Knowledge bucket; overrides PATINOX_BUCKET",
  },
  timeout: {
    type: "string",
    valueHint: "ms",
    description: `How long service discovery waits for answers, in milliseconds (default ${DEFAULT_DISCOVERY_TIMEOUT_MS})`,
  },
} as const;

/** Names of the global options that take a value (`--server x`, not just `--json`). */
const VALUE_OPTIONS = new Set(["--server", "--bucket", "--timeout"]);

/** The global options, parsed and checked. */
export interface GlobalOptions {
  readonly json: boolean;
  readonly server?: string;
  readonly bucket?: string;
  readonly timeoutMs: number;
}

/** Parsed arguments as citty hands them over (only the global ones are read here). */
export interface RawGlobalArgs {
  readonly json?: boolean | undefined;
  readonly server?: string | undefined;
  readonly bucket?: string | undefined;
  readonly timeout?: string | undefined;
}

/** Checks the global options; a malformed `--timeout` is a {@link UsageError}. */
export function readGlobalOptions(args: RawGlobalArgs): GlobalOptions {
  return {
    json: args.json === true,
    ...(args.server === undefined ? {} : { server: args.server }),
    ...(args.bucket === undefined ? {} : { bucket: args.bucket }),
    timeoutMs: parseTimeout(args.timeout),
  };
}

/** `--timeout`: a whole number of milliseconds from 1 to 600 000; absent means the default. */
export function parseTimeout(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_DISCOVERY_TIMEOUT_MS;
  const trimmed = raw.trim();
  const value = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 600_000) {
    throw new UsageError(
      `--timeout: expected a whole number of milliseconds from 1 to 600000, got "${raw}"`,
    );
  }
  return value;
}

/**
 * Moves global options written before the command (`patinox --json status`) to the end of the
 * arguments (`patinox status --json`). citty hands a subcommand only the arguments after its
 * name, so options in front would otherwise be lost or taken for a command name. Arguments
 * after `--` stay last, so `kv get -- -odd-key` keeps working.
 */
export function hoistGlobalOptions(argv: readonly string[]): string[] {
  const leading: string[] = [];
  let index = 0;
  while (index < argv.length) {
    const token = argv[index] ?? "";
    if (token === "--" || !token.startsWith("-")) break;
    leading.push(token);
    const next = argv[index + 1];
    if (VALUE_OPTIONS.has(token) && next !== undefined) {
      leading.push(next);
      index += 2;
    } else {
      index += 1;
    }
  }
  const rest = argv.slice(index);
  const separator = rest.indexOf("--");
  return separator === -1
    ? [...rest, ...leading]
    : [...rest.slice(0, separator), ...leading, ...rest.slice(separator)];
}
