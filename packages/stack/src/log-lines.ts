const LEVEL_COLOURS: Record<string, string> = {
  trace: "\x1b[90m",
  debug: "\x1b[90m",
  info: "\x1b[32m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
  fatal: "\x1b[35m",
};
const SERVICE_COLOURS = ["\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[33m", "\x1b[32m"];
const RESET = "\x1b[0m";
const OMIT = new Set(["level", "time", "msg", "service", "instance", "pid", "hostname"]);

/**
 * Turns a service's JSON log line into one readable line prefixed with the service name,
 * e.g. `execute  | 12:00:01 info  execute started healthPort=8081`. Lines that are not
 * JSON (a stack trace, tsx's messages) pass through with the prefix.
 */
export function formatLogLine(service: string, line: string, colour: boolean, index = 0): string {
  const prefix = colour
    ? `${SERVICE_COLOURS[index % SERVICE_COLOURS.length]}${service.padEnd(8)}${RESET}|`
    : `${service.padEnd(8)}|`;
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return `${prefix} ${line}`;
    record = parsed as Record<string, unknown>;
  } catch {
    return `${prefix} ${line}`;
  }
  const level = String(record.level ?? "info");
  const time = typeof record.time === "string" ? record.time.slice(11, 19) : "";
  const fields = Object.entries(record)
    .filter(([key]) => !OMIT.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  const levelText = colour
    ? `${LEVEL_COLOURS[level] ?? ""}${level.padEnd(5)}${RESET}`
    : level.padEnd(5);
  return `${prefix} ${time} ${levelText} ${String(record.msg ?? "")}${fields ? ` ${fields}` : ""}`;
}
