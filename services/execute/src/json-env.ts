import { z } from "zod";

/** Most problems named in one configuration error: enough to fix a file, short enough to read. */
const MAX_ISSUES = 5;

/**
 * An environment variable holding JSON checked by `schema`. A problem is reported as "expected
 * <what>" with the JSON path of each issue, never the value: the JSON may hold API keys.
 */
export function jsonEnv<S extends z.ZodType>(schema: S, expected: string) {
  return z.string().transform((text, ctx): z.output<S> => {
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
      .slice(0, MAX_ISSUES)
      .map(
        (issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(top)"}: ${issue.message}`,
      );
    ctx.addIssue({ code: "custom", message: `expected ${expected} (${problems.join("; ")})` });
    return z.NEVER;
  });
}
