import { type Logger, pino } from "pino";

/** Log paths that may carry credentials; pino replaces them before anything is written. */
const REDACT_PATHS = [
  "password",
  "pass",
  "token",
  "apiKey",
  "authorization",
  "seed",
  "*.password",
  "*.pass",
  "*.token",
  "*.apiKey",
  "*.authorization",
  "*.seed",
  "*.*.password",
  "*.*.token",
  "*.*.apiKey",
  "*.*.seed",
  "headers.authorization",
  "*.headers.authorization",
];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  readonly service: string;
  readonly instanceId: string;
  readonly level: string;
  /** Where lines go. @default standard output */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * Structured JSON logs (one object per line) with the service and instance on every line and
 * credentials redacted. Secrets wrapped in `Secret` print `[redacted]` wherever they appear.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, instance: options.instanceId },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: true }),
  );
}

export type { Logger };
