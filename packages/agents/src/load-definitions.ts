import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  compareProblems,
  type DefinitionProblem,
  DefinitionProblemKind,
} from "./definition-problem.ts";
import { DefinitionSourceUnreadable, InvalidDefinition } from "./errors.ts";
import {
  DEFINITION_FILE_EXTENSIONS,
  type LoadedDefinition,
  type ParseDefinitionOptions,
  parseDefinition,
} from "./parse-definition.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads and checks one definition file (see {@link parseDefinition}).
 * @throws InvalidDefinition listing every problem in the file
 * @throws DefinitionSourceUnreadable when the file cannot be read
 */
export async function loadDefinitionFile(
  path: string,
  options: ParseDefinitionOptions = {},
): Promise<LoadedDefinition> {
  const text = await readText(path);
  if (typeof text !== "string") throw new InvalidDefinition([text]);
  const result = parseDefinition(text, path, options);
  if (!result.ok) throw result.error;
  return result.value;
}

/**
 * Reads and checks a definition file, or every `*.yaml` and `*.yml` file directly in a
 * directory (not its subdirectories), in name order. Every file is checked before anything is
 * reported, so one error lists the problems of all files; two files defining the same agent
 * are a problem too.
 * @returns the definitions, in file name order
 * @throws InvalidDefinition listing every problem in every file
 * @throws DefinitionSourceUnreadable when the path, or a file in it, cannot be read, or a
 *   directory holds no definition file
 */
export async function loadDefinitions(fileOrDir: string): Promise<LoadedDefinition[]> {
  const files = await definitionFiles(fileOrDir);
  const loaded: LoadedDefinition[] = [];
  const problems: DefinitionProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const text = await readText(file);
    if (typeof text !== "string") {
      problems.push(text);
      continue;
    }
    const result = parseDefinition(text, file);
    if (!result.ok) {
      problems.push(...result.error.problems);
      continue;
    }
    const name = result.value.definition.name;
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      problems.push({
        kind: DefinitionProblemKind.Duplicate,
        file,
        line: 1,
        column: 1,
        path: "",
        message: `agent ${name} is also defined in ${earlier}`,
      });
      continue;
    }
    seen.set(name, file);
    loaded.push(result.value);
  }
  if (problems.length > 0) throw new InvalidDefinition(problems.sort(compareProblems));
  return loaded;
}

/** The definition files a path names: itself, or the matching files of a directory, sorted. */
async function definitionFiles(fileOrDir: string): Promise<string[]> {
  const info = await stat(fileOrDir).catch((error: unknown) => {
    throw new DefinitionSourceUnreadable(fileOrDir, reason(error), { cause: error });
  });
  if (!info.isDirectory()) return [fileOrDir];
  const entries = await readdir(fileOrDir, { withFileTypes: true }).catch((error: unknown) => {
    throw new DefinitionSourceUnreadable(fileOrDir, reason(error), { cause: error });
  });
  const files = entries
    .filter(
      (entry) =>
        !entry.isDirectory() && DEFINITION_FILE_EXTENSIONS.some((ext) => entry.name.endsWith(ext)),
    )
    .map((entry) => entry.name)
    // Code-unit order, not the locale's: the same order on every machine.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) {
    throw new DefinitionSourceUnreadable(fileOrDir, "the directory holds no *.yaml or *.yml file");
  }
  return files.map((name) => join(fileOrDir, name));
}

/** The file's text, or the problem that it is not text. */
async function readText(path: string): Promise<string | DefinitionProblem> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DefinitionSourceUnreadable(path, reason(error), { cause: error });
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return {
      kind: DefinitionProblemKind.Syntax,
      file: path,
      line: 1,
      column: 1,
      path: "",
      message: "the file is not UTF-8 text",
    };
  }
}

function reason(error: unknown): string {
  const code = error instanceof Error && "code" in error ? error.code : undefined;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
