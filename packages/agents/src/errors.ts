import { PatinoxError } from "@patinox/contracts";
import { type DefinitionProblem, formatProblem } from "./definition-problem.ts";

/**
 * One or more agent definition files are invalid. `problems` lists every problem found (not
 * only the first), each with file, line, column and field; the message holds them one per line.
 */
export class InvalidDefinition extends Error {
  override readonly name = "InvalidDefinition";
  readonly code = "config_invalid" as const;
  /** Every problem, in file, line and column order. */
  readonly problems: readonly DefinitionProblem[];

  constructor(problems: readonly DefinitionProblem[], options?: ErrorOptions) {
    const files = new Set(problems.map((p) => p.file)).size;
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(
      `invalid agent definition (${count} in ${files === 1 ? "1 file" : `${files} files`}):\n${problems.map(formatProblem).join("\n")}`,
      options,
    );
    this.problems = problems;
  }

  /**
   * The error in the wire taxonomy (`config_invalid`), for a service that reports it: the
   * problems travel as `details.problems` (at most 20, one formatted line each).
   */
  toPatinoxError(): PatinoxError {
    return new PatinoxError("config_invalid", this.message.split("\n")[0] ?? this.message, {
      details: { problems: this.problems.slice(0, 20).map(formatProblem) },
      cause: this,
    });
  }
}

/**
 * A definition file or directory could not be read: it does not exist, is not readable, or
 * (a directory) holds no `*.yaml` or `*.yml` file.
 */
export class DefinitionSourceUnreadable extends Error {
  override readonly name = "DefinitionSourceUnreadable";
  readonly code = "not_found" as const;
  /** The path as the caller gave it. */
  readonly path: string;
  /** Why, in a few words (`no such file or directory`). */
  readonly reason: string;

  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`cannot read agent definitions from ${path}: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}
