import { Severity } from "@patinox/contracts";

/** Critical when `value` reaches `factor` × `threshold`, a warning otherwise. */
export function severityOf(value: number, threshold: number, factor: number): Severity {
  return value >= threshold * factor ? Severity.Critical : Severity.Warning;
}
