import { readFile } from "node:fs/promises";

/** What Execute's log says about the bench run: every run logged, and nothing went wrong. */
export interface ServiceLogSummary {
  /** `run finished` lines. */
  readonly runsFinished: number;
  readonly warnings: number;
  readonly errors: number;
  /** Lines that are not JSON log records (Node's own warnings on stderr, crashes). */
  readonly otherLines: number;
  /** The first few warning, error and other lines, shortened. */
  readonly samples: readonly string[];
}

/** Reads a pino log file (one JSON record a line, `level` as a label or a number). */
export async function summariseServiceLog(file: string): Promise<ServiceLogSummary> {
  const text = await readFile(file, "utf8");
  let runsFinished = 0;
  let warnings = 0;
  let errors = 0;
  let otherLines = 0;
  const samples: string[] = [];
  const keep = (line: string) => {
    if (samples.length < 4) samples.push(line.slice(0, 240));
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let record: { level?: unknown; msg?: unknown } | undefined;
    try {
      record = JSON.parse(line) as { level?: unknown; msg?: unknown };
    } catch {
      record = undefined;
    }
    if (record === undefined || typeof record !== "object" || record === null) {
      otherLines++;
      keep(line);
      continue;
    }
    if (record.msg === "run finished") runsFinished++;
    const level = record.level;
    if (level === "warn" || level === 40) {
      warnings++;
      keep(line);
    } else if (
      level === "error" ||
      level === "fatal" ||
      (typeof level === "number" && level >= 50)
    ) {
      errors++;
      keep(line);
    }
  }
  return { runsFinished, warnings, errors, otherLines, samples };
}
