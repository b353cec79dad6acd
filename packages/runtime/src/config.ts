import { accessSync, constants, statSync } from "node:fs";
import { z } from "zod";
import { Secret } from "./secret.ts";

/** An environment that configuration is read from. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** One variable that failed: its name and what was expected. */
export interface ConfigIssue {
  readonly variable: string;
  readonly expected: string;
}

/**
 * Configuration could not be parsed. The service host prints {@link ConfigError.message} and
 * exits with status 78 (EX_CONFIG) so a supervisor does not restart it in a tight loop
 * expecting a different result.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "config_invalid" as const;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.expected}`).join("\n")}`,
    );
    this.issues = issues;
  }
}

/** Exit status for bad configuration (sysexits.h EX_CONFIG). */
export const EXIT_CONFIG = 78;

/**
 * Parses environment variables with a zod object whose keys are variable names. Blank values
 * count as unset (so `FOO=` in a `.env` file falls back to the default), the result is
 * frozen, and every failure names its variable. Values are never echoed in the error:
 * a mistyped secret must not reach a log.
 */
export function readConfig<S extends z.ZodObject>(
  shape: S,
  env: Environment = process.env,
): Readonly<z.output<S>> {
  const present: Record<string, string> = {};
  for (const key of Object.keys(shape.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") present[key] = value.trim();
  }
  const result = shape.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? "(environment)");
        return {
          variable,
          expected: variable in present ? issue.message : `required: ${issue.message}`,
        };
      }),
    );
  }
  // Freeze one level down too: list values (NATS_URL) must not change after start either.
  for (const value of Object.values(result.data)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(result.data);
}

function isReadableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `host[:port]` or `scheme://[user[:pass]@]host[:port]`: a NATS scheme and a port URL accepts (≤ 65535). */
function isNatsServerUrl(value: string): boolean {
  const withScheme = /^[a-z]+:\/\//.test(value) ? value : `nats://${value}`;
  try {
    const url = new URL(withScheme);
    return (
      ["nats:", "tls:", "ws:", "wss:"].includes(url.protocol) &&
      url.hostname !== "" &&
      (url.pathname === "" || url.pathname === "/") &&
      url.search === ""
    );
  } catch {
    return false;
  }
}

/** Env schema helpers: each states what it expects in words an operator understands. */
export const env = {
  /** A whole number in [min, max]. */
  int: (min: number, max: number) =>
    z.coerce
      .number({ error: `expected a whole number from ${min} to ${max}` })
      .int({ error: `expected a whole number from ${min} to ${max}` })
      .min(min, { error: `expected a whole number from ${min} to ${max}` })
      .max(max, { error: `expected a whole number from ${min} to ${max}` }),
  /** `true`/`false`/`1`/`0`/`yes`/`no`. */
  bool: () =>
    z
      .string()
      .toLowerCase()
      .pipe(z.enum(["true", "false", "1", "0", "yes", "no"], { error: "expected true or false" }))
      .transform((v) => v === "true" || v === "1" || v === "yes"),
  /** A path to a file this process can read (checked at start, so a typo is a config error). */
  readableFile: () =>
    z.string().refine(isReadableFile, { error: "expected the path of a readable file" }),
  /** A secret, wrapped so it cannot be printed. */
  secret: () => z.string().transform((v) => new Secret(v)),
  /** One of a closed set of words. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values, { error: `expected one of: ${values.join(", ")}` }),
  /**
   * JSON checked by `schema`. A problem is reported as "expected <what>" with the JSON path of
   * each issue (at most five), never the value: the JSON may hold API keys.
   */
  json: <S extends z.ZodType>(schema: S, expected: string) =>
    z.string().transform((text, ctx): z.output<S> => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: "custom", message: `expected JSON: ${expected}` });
        return z.NEVER;
      }
      const checked = schema.safeParse(parsed);
      if (checked.success) return checked.data;
      const problems = checked.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(top)"}: ${i.message}`);
      ctx.addIssue({ code: "custom", message: `expected ${expected} (${problems.join("; ")})` });
      return z.NEVER;
    }),
  /** A comma-separated list; blanks around and between items are dropped. */
  list: () =>
    z.string().transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  /** A comma-separated list of NATS server URLs. */
  natsServers: () =>
    env.list().pipe(
      z
        .array(
          z.string().refine(isNatsServerUrl, {
            error: "expected comma-separated NATS URLs such as nats://host:4222",
          }),
        )
        .min(1, { error: "expected at least one NATS URL" }),
    ),
  /** A subject prefix: dot-separated tokens without wildcards or spaces. */
  subjectPrefix: () =>
    z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
      error:
        "expected dot-separated tokens of letters, digits, _ or - (e.g. patinox or acme.patinox)",
    }),
} as const;
