import { createHash } from "node:crypto";

const MAX_TOKEN = 64;

/**
 * The id of the `generation`-th plan for a finding: `<fingerprint>-<generation>`, so every
 * replica computes the same id and the compare-and-set create of `plans.<agent>.<planId>`
 * lets exactly one of them make it. A fingerprint too long for that is shortened with a hash.
 */
export function planIdFor(fingerprint: string, generation: number): string {
  return fit(`${fingerprint}-${generation}`, `-${generation}`);
}

/** The id of the plan that reverts `planId`. */
export function revertPlanIdFor(planId: string): string {
  return fit(`revert-${planId}`, "");
}

/** The branch of a plan: `patinox/<agent>/<kind>-<fingerprint>` (`-<n>` from the second plan on). */
export function branchFor(
  agent: string,
  findingKind: string,
  fingerprint: string,
  generation: number,
): string {
  // Analyze's fingerprints already start with the kind (`tool_timeouts-3fa2…`): not repeated.
  const name = fingerprint.startsWith(`${findingKind}-`)
    ? fingerprint
    : `${findingKind}-${fingerprint}`;
  return `patinox/${agent}/${name}${generation > 1 ? `-${generation}` : ""}`;
}

/** The branch of a revert plan. */
export function revertBranchFor(agent: string, planId: string): string {
  return `patinox/${agent}/revert-${planId}`;
}

function fit(id: string, suffix: string): string {
  if (id.length <= MAX_TOKEN) return id;
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 12);
  return `${id.slice(0, MAX_TOKEN - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}
