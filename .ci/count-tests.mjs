// Adds up the vitest JSON reports every package wrote and prints `tests: N passed, M failed`.
// A package with a `test` script that left no readable report counts as one failure: a run
// that crashed before reporting must not look like a pass.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// Every workspace pnpm knows (pnpm-workspace.yaml: `- dir` or `- dir/*`), so a new one is
// never left out of the count.
const workspaces = readFileSync("pnpm-workspace.yaml", "utf8")
  .split("\n")
  .map((line) => line.match(/^\s*-\s*["']?([^"'\s]+)["']?\s*$/)?.[1])
  .filter((entry) => entry !== undefined)
  .flatMap((entry) =>
    entry.endsWith("/*")
      ? readdirSync(entry.slice(0, -2)).map((name) => join(entry.slice(0, -2), name))
      : [entry],
  );

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of workspaces) {
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, "utf8")).scripts?.test) continue;
  let report;
  try {
    report = JSON.parse(readFileSync(join(dir, ".vitest-report.json"), "utf8"));
  } catch {
    console.error(`count-tests: no readable report from ${dir}`);
    failed += 1;
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A file that fails to load has no test results: count it as one failure, not zero.
  for (const file of report.testResults ?? []) {
    if (file.status === "failed" && (file.assertionResults ?? []).length === 0) failed += 1;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
