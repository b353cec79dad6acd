/** One step into a definition: a field name, or an index into a list. */
export type FieldPathSegment = string | number;

/**
 * A field path as people read it: fields joined by dots, list indexes in brackets
 * (`tools[0].timeoutMs`, `validators.input[1].patterns[0]`). A field name that is not a plain
 * identifier is quoted (`metadata["ui.locale"]`). The empty path (the whole document) is `""`.
 */
export function formatFieldPath(path: readonly FieldPathSegment[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}
