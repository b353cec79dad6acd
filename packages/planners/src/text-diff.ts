import { createTwoFilesPatch } from "diff";

/** A unified diff of one file (`a/<file>` → `b/<file>`), three lines of context. */
export function unifiedDiff(fileName: string, before: string, after: string): string {
  return createTwoFilesPatch(
    `a/${fileName}`,
    `b/${fileName}`,
    before,
    after,
    undefined,
    undefined,
    {
      context: 3,
    },
  )
    .split("\n")
    .slice(1) // the `Index:`/`====` preamble is not part of git's format
    .filter((line) => !/^={10,}$/.test(line))
    .join("\n");
}
