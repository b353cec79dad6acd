// Adds up the vitest JSON reports every package wrote and prints `tests: N passed, M failed`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

function* reports(dir) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === ".git") continue;
    const path = join(dir, name);
    if (name === ".vitest-report.json") yield path;
    else if (statSync(path).isDirectory()) yield* reports(path);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const path of reports(".")) {
  const report = JSON.parse(readFileSync(path, "utf8"));
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
  // A file that fails to load has no test results: count it as one failure, not zero.
  for (const file of report.testResults ?? []) {
    if (file.status === "failed" && (file.assertionResults ?? []).length === 0) failed += 1;
  }
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
