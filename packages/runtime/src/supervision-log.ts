import type { SupervisorEvent } from "@patinox/actors";
import type { Logger } from "pino";

/**
 * Logs each supervisor decision: failures and giving up at `warn`, the rest at `info`.
 * Errors are logged by their message, since pino serialises an Error only under `err`.
 */
export function logSupervisorEvent(logger: Logger): (event: SupervisorEvent) => void {
  return (event) => {
    const { error, ...rest } = "error" in event ? event : { ...event, error: undefined };
    const fields = {
      supervisor: error === undefined ? rest : { ...rest, error: describeError(error) },
    };
    const failed = event.type === "child-failed" || event.type === "gave-up";
    logger[failed ? "warn" : "info"](fields, `supervisor: ${event.type}`);
  };
}

/** `Name: message` for an Error, the string form otherwise. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
