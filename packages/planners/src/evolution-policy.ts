import {
  type DefinitionChange,
  definitionPathMatches,
  type EvolutionPolicy,
  type EvolutionRule,
} from "@patinox/contracts";

/** A change the evolution policy refused, and why (kept in the plan's `dropped`). */
export interface DroppedChange {
  readonly path: string;
  readonly reason: string;
}

/** The outcome of checking one change against the policy. */
export type PolicyVerdict =
  | { readonly ok: true; readonly change: DefinitionChange }
  | { readonly ok: false; readonly dropped: DroppedChange };

/** The rule that governs `path`: the first `allow` rule whose pattern matches it. */
export function ruleFor(policy: EvolutionPolicy, path: string): EvolutionRule | undefined {
  return policy.allow.find((rule) => definitionPathMatches(rule.path, path));
}

/**
 * Checks one proposed change against the agent's evolution policy: the path must be allowed;
 * a numeric value must lie within `min`/`max` and move by at most `step`. A planner proposes
 * values within the rule already ({@link numericTarget}); this check is the last word, so a
 * planner bug can never widen what the owner allowed. Nothing is clamped here: a refused
 * change is dropped with its reason.
 */
export function checkChange(policy: EvolutionPolicy, change: DefinitionChange): PolicyVerdict {
  const rule = ruleFor(policy, change.path);
  if (!rule) {
    return drop(change.path, `${change.path} is not in the agent's evolution.allow`);
  }
  if (typeof change.to === "number") {
    if (rule.min !== undefined && change.to < rule.min) {
      return drop(change.path, `${change.to} is below the policy's min ${rule.min}`);
    }
    if (rule.max !== undefined && change.to > rule.max) {
      return drop(change.path, `${change.to} is above the policy's max ${rule.max}`);
    }
    if (rule.step !== undefined && typeof change.from === "number") {
      const moved = Math.abs(change.to - change.from);
      if (moved > rule.step) {
        return drop(change.path, `a change of ${moved} exceeds the policy's step ${rule.step}`);
      }
    }
  } else if (rule.min !== undefined || rule.max !== undefined || rule.step !== undefined) {
    return drop(
      change.path,
      `the policy bounds ${rule.path} numerically; ${JSON.stringify(change.to)} is not a number`,
    );
  }
  if (JSON.stringify(change.from) === JSON.stringify(change.to)) {
    return drop(change.path, "the value would not change");
  }
  return { ok: true, change };
}

/**
 * The value a numeric field moves to in one plan: `direction` times the rule's `step` (or
 * `fallbackStep` when the rule has none), kept inside `min`/`max`, as an integer. `undefined`
 * when the path is not allowed or the field already sits at its bound, with the reason.
 */
export function numericTarget(
  policy: EvolutionPolicy,
  path: string,
  from: number,
  direction: 1 | -1,
  fallbackStep: number,
): { readonly to: number } | { readonly reason: string } {
  const rule = ruleFor(policy, path);
  if (!rule) return { reason: `${path} is not in the agent's evolution.allow` };
  const step = rule.step ?? fallbackStep;
  let to = Math.round(from + direction * step);
  if (rule.max !== undefined) to = Math.min(to, rule.max);
  if (rule.min !== undefined) to = Math.max(to, rule.min);
  if (direction > 0 ? to <= from : to >= from) {
    const bound = direction > 0 ? `max ${rule.max}` : `min ${rule.min}`;
    return { reason: `${path} is already at the policy's ${bound} (${from})` };
  }
  return { to };
}

function drop(path: string, reason: string): PolicyVerdict {
  return { ok: false, dropped: { path, reason } };
}
