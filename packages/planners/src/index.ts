/**
 * Planners: pure functions that turn a finding into one bounded change of an agent
 * definition (tool timeouts → a longer timeout or more retries; model errors and flapping
 * breakers → fallbacks added or reordered; output-length rejections → more output tokens;
 * latency → fewer output tokens or a faster configured model; budget burn → fewer steps),
 * checked against the agent's evolution policy, and applied to the agent's YAML text with
 * every comment and byte of layout outside the change kept.
 * @packageDocumentation
 */

export type { EditedDefinition } from "./apply-to-yaml.ts";
export { applyChangesToYaml } from "./apply-to-yaml.ts";
export { readDefinitionPath } from "./definition-paths.ts";
export type { DroppedChange, PolicyVerdict } from "./evolution-policy.ts";
export { checkChange, numericTarget, ruleFor } from "./evolution-policy.ts";
export type { InstructionPlannerOptions } from "./instruction-planner.ts";
export { planInstructionChange } from "./instruction-planner.ts";
export type { ModelCandidate, NoProposal, PlannerOptions, Proposal } from "./planners.ts";
export { describeFinding, planFinding } from "./planners.ts";
export { revertChanges } from "./revert.ts";
export { unifiedDiff } from "./text-diff.ts";
