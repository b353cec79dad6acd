import {
  type AgentDefinition,
  type DefinitionChange,
  type Finding,
  FindingKind,
  type JsonValue,
  type ModelRef,
} from "@patinox/contracts";
import { readDefinitionPath } from "./definition-paths.ts";
import { checkChange, type DroppedChange, numericTarget } from "./evolution-policy.ts";

/** A model Plan may add as a fallback or move an agent to, from Plan's configuration. */
export interface ModelCandidate {
  readonly name: string;
  readonly provider?: string | undefined;
  /** Smaller is faster; models without one are never chosen for being faster. */
  readonly speedRank?: number | undefined;
}

/** What planners may draw on besides the finding and the definition. */
export interface PlannerOptions {
  /** Models that may be added as fallbacks or chosen as faster, in order of preference. */
  readonly models?: readonly ModelCandidate[];
}

/** A bounded change that answers a finding, within the agent's evolution policy. */
export interface Proposal {
  readonly kind: "proposal";
  /** The planner that made it (`tool_timeout`, `fallback_models`, …): the plan's `kind`. */
  readonly planner: string;
  readonly change: readonly DefinitionChange[];
  /** Alternatives the policy refused on the way, and why. */
  readonly dropped: readonly DroppedChange[];
  readonly rationale: string;
}

/** No change: the policy refused every alternative, or no planner knows the finding. */
export interface NoProposal {
  readonly kind: "none";
  readonly planner: string;
  readonly dropped: readonly DroppedChange[];
  readonly reason: string;
}

/** One alternative of a planner: changes that go together, and why. */
interface Alternative {
  readonly change?: readonly DefinitionChange[];
  /** Why this alternative could not even be formed (already at a bound, no such tool). */
  readonly refused?: DroppedChange;
  readonly rationale: string;
}

type Planner = (
  finding: Finding,
  definition: AgentDefinition,
  options: PlannerOptions,
) => {
  readonly planner: string;
  readonly alternatives: readonly Alternative[];
};

/**
 * Plans one finding: the planner for its kind lists alternatives in order of preference,
 * each is checked against the agent's evolution policy, and the first whose every change
 * passes is the proposal; what was refused on the way is kept with its reason. A pure
 * function of its arguments.
 */
export function planFinding(
  finding: Finding,
  definition: AgentDefinition,
  options: PlannerOptions = {},
): Proposal | NoProposal {
  const planner = PLANNERS[finding.kind];
  const { planner: name, alternatives } = planner(finding, definition, options);
  const dropped: DroppedChange[] = [];
  for (const alternative of alternatives) {
    if (alternative.refused) {
      dropped.push(alternative.refused);
      continue;
    }
    const change = alternative.change ?? [];
    const verdicts = change.map((c) => checkChange(definition.evolution, c));
    const refused = verdicts.flatMap((v) => (v.ok ? [] : [v.dropped]));
    if (change.length > 0 && refused.length === 0) {
      return {
        kind: "proposal",
        planner: name,
        change,
        dropped,
        rationale: `${describeFinding(finding)}\n\n${alternative.rationale}`,
      };
    }
    dropped.push(...refused);
  }
  return {
    kind: "none",
    planner: name,
    dropped,
    reason:
      alternatives.length === 0
        ? `no rule-based planner changes anything for a ${finding.kind} finding${finding.target ? ` on ${finding.target}` : ""}`
        : `the evolution policy allows none of the ${alternatives.length} alternative(s)`,
  };
}

const toolTimeouts: Planner = (finding, definition) => ({
  planner: "tool_timeout",
  alternatives: withTool(finding, definition, (tool) => [
    raise(
      definition,
      `tools.${tool}.timeoutMs`,
      1000,
      (from, to) =>
        `Calls to ${tool} time out; its timeout goes from ${from} ms to ${to} ms so slow answers can arrive.`,
    ),
    raise(
      definition,
      `tools.${tool}.retries`,
      1,
      (from, to) =>
        `Calls to ${tool} time out; its retries go from ${from} to ${to} so a slow call is tried again.`,
    ),
  ]),
});

const toolFailures: Planner = (finding, definition) => ({
  planner: "tool_retries",
  alternatives: withTool(finding, definition, (tool) => [
    raise(
      definition,
      `tools.${tool}.retries`,
      1,
      (from, to) =>
        `Calls to ${tool} fail; its retries go from ${from} to ${to} so a transient failure is tried again.`,
    ),
    raise(
      definition,
      `tools.${tool}.timeoutMs`,
      1000,
      (from, to) =>
        `Calls to ${tool} fail; its timeout goes from ${from} ms to ${to} ms in case failures are slow answers cut short.`,
    ),
  ]),
});

const modelErrors: Planner = (_finding, definition, options) => ({
  planner: "fallback_models",
  alternatives: [addFallback(definition, options, "Model calls fail")],
});

const breakerFlapping: Planner = (finding, definition, options) => {
  const fallbacks = definition.model.fallbacks;
  const flapping = finding.target;
  const index = flapping ? fallbacks.findIndex((m) => m.name === flapping) : -1;
  const alternatives: Alternative[] = [];
  if (index >= 0 && index < fallbacks.length - 1) {
    const reordered = [
      ...fallbacks.slice(0, index),
      ...fallbacks.slice(index + 1),
      fallbacks[index] as ModelRef,
    ];
    alternatives.push({
      change: [modelsChange(fallbacks, reordered)],
      rationale: `The breaker of ${flapping} keeps opening and closing; it moves to the end of the fallbacks so steadier models are tried first.`,
    });
  }
  alternatives.push(
    addFallback(definition, options, `The breaker of ${flapping ?? "a model"} flaps`),
  );
  return { planner: "fallback_models", alternatives };
};

const fallbackReliance: Planner = (finding, definition, options) => {
  const fallbacks = definition.model.fallbacks;
  const reliedOn = finding.target;
  const index = reliedOn ? fallbacks.findIndex((m) => m.name === reliedOn) : -1;
  const alternatives: Alternative[] = [];
  if (index > 0) {
    const reordered = [
      fallbacks[index] as ModelRef,
      ...fallbacks.slice(0, index),
      ...fallbacks.slice(index + 1),
    ];
    alternatives.push({
      change: [modelsChange(fallbacks, reordered)],
      rationale: `Runs keep being answered by the fallback ${reliedOn}; it moves to the front of the fallbacks so it is reached with fewer failed attempts.`,
    });
  } else {
    alternatives.push(addFallback(definition, options, "Runs rely on fallback models"));
  }
  return { planner: "fallback_models", alternatives };
};

const validatorRejections: Planner = (finding, definition) => {
  const target = finding.target;
  const validator = definition.validators.output.find((v) => (v.name ?? v.kind) === target);
  if (validator?.kind !== "output_max_length")
    return { planner: "output_length", alternatives: [] };
  const name = validator.name ?? validator.kind;
  return {
    planner: "output_length",
    alternatives: [
      raise(
        definition,
        "model.maxOutputTokens",
        200,
        (from, to) =>
          `Answers are rejected by ${name} (output length); max output tokens go from ${from} to ${to} so answers are no longer cut off mid-way and retried.`,
      ),
      raise(
        definition,
        `validators.output.${name}.maxChars`,
        500,
        (from, to) =>
          `Answers are rejected by ${name} (output length); its limit goes from ${from} to ${to} characters.`,
      ),
    ],
  };
};

const latency: Planner = (_finding, definition, options) => {
  const alternatives: Alternative[] = [
    lower(
      definition,
      "model.maxOutputTokens",
      200,
      (from, to) =>
        `Runs are slower than they should be; max output tokens go from ${from} to ${to}, since generation time grows with output length.`,
    ),
  ];
  const current = rankOf(options, definition.model.name, definition.model.provider);
  const faster = (options.models ?? [])
    .filter((m) => m.speedRank !== undefined && m.speedRank < current)
    .sort((a, b) => (a.speedRank ?? 0) - (b.speedRank ?? 0))[0];
  if (faster) {
    const change: DefinitionChange[] = [
      { path: "model.name", from: definition.model.name, to: faster.name },
    ];
    if (faster.provider !== undefined && faster.provider !== definition.model.provider) {
      change.push({
        path: "model.provider",
        ...(definition.model.provider === undefined ? {} : { from: definition.model.provider }),
        to: faster.provider,
      });
    }
    alternatives.push({
      change,
      rationale: `Runs are slower than they should be; the agent moves from ${definition.model.name} to ${faster.name}, a faster configured model.`,
    });
  }
  return { planner: "latency", alternatives };
};

const budgetBurn: Planner = (_finding, definition) => ({
  planner: "max_steps",
  alternatives: [
    lower(
      definition,
      "limits.maxSteps",
      1,
      (from, to) =>
        `The agent spends its token budget too fast; max steps go from ${from} to ${to} so a run cannot loop as long.`,
    ),
  ],
});

const PLANNERS: Record<FindingKind, Planner> = {
  [FindingKind.ToolTimeouts]: toolTimeouts,
  [FindingKind.ToolFailures]: toolFailures,
  [FindingKind.ErrorRateSlo]: modelErrors,
  [FindingKind.ErrorRateBaseline]: modelErrors,
  [FindingKind.BreakerFlapping]: breakerFlapping,
  [FindingKind.FallbackReliance]: fallbackReliance,
  [FindingKind.ValidatorRejections]: validatorRejections,
  [FindingKind.LatencySlo]: latency,
  [FindingKind.LatencyBaseline]: latency,
  [FindingKind.BudgetBurn]: budgetBurn,
};

function withTool(
  finding: Finding,
  definition: AgentDefinition,
  make: (tool: string) => Alternative[],
): Alternative[] {
  const tool = finding.target;
  if (!tool || !definition.tools.some((t) => t.name === tool)) {
    return [
      {
        refused: {
          path: `tools.${tool ?? "?"}`,
          reason: `the agent has no tool named ${tool ?? "(none given)"}`,
        },
        rationale: "",
      },
    ];
  }
  return make(tool);
}

function raise(
  definition: AgentDefinition,
  path: string,
  fallbackStep: number,
  why: (from: number, to: number) => string,
): Alternative {
  return numeric(definition, path, 1, fallbackStep, why);
}

function lower(
  definition: AgentDefinition,
  path: string,
  fallbackStep: number,
  why: (from: number, to: number) => string,
): Alternative {
  return numeric(definition, path, -1, fallbackStep, why);
}

function numeric(
  definition: AgentDefinition,
  path: string,
  direction: 1 | -1,
  fallbackStep: number,
  why: (from: number, to: number) => string,
): Alternative {
  const from = readDefinitionPath(definition, path);
  if (typeof from !== "number") {
    return {
      refused: { path, reason: `${path} is not set, so there is nothing to move from` },
      rationale: "",
    };
  }
  const target = numericTarget(definition.evolution, path, from, direction, fallbackStep);
  if ("reason" in target) return { refused: { path, reason: target.reason }, rationale: "" };
  return { change: [{ path, from, to: target.to }], rationale: why(from, target.to) };
}

function addFallback(
  definition: AgentDefinition,
  options: PlannerOptions,
  problem: string,
): Alternative {
  const chain = [
    { name: definition.model.name, provider: definition.model.provider },
    ...definition.model.fallbacks,
  ];
  const candidate = (options.models ?? []).find(
    (m) =>
      !chain.some(
        (c) => c.name === m.name && (c.provider ?? undefined) === (m.provider ?? undefined),
      ),
  );
  if (!candidate) {
    return {
      refused: {
        path: "model.fallbacks",
        reason: "no configured model is left to add as a fallback",
      },
      rationale: "",
    };
  }
  const added: ModelRef = {
    name: candidate.name,
    ...(candidate.provider === undefined ? {} : { provider: candidate.provider }),
  };
  return {
    change: [modelsChange(definition.model.fallbacks, [...definition.model.fallbacks, added])],
    rationale: `${problem}; ${candidate.name} is added as the last fallback so a run has one more model to turn to.`,
  };
}

function modelsChange(from: readonly ModelRef[], to: readonly ModelRef[]): DefinitionChange {
  return {
    path: "model.fallbacks",
    from: from as unknown as JsonValue,
    to: to as unknown as JsonValue,
  };
}

function rankOf(options: PlannerOptions, name: string, provider: string | undefined): number {
  const known = (options.models ?? []).find((m) => m.name === name && m.provider === provider);
  return known?.speedRank ?? Number.POSITIVE_INFINITY;
}

/** The finding in one paragraph: what, where, how sure, the numbers. */
export function describeFinding(finding: Finding): string {
  const numbers = Object.entries(finding.evidence.numbers)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(", ");
  return `Finding ${finding.fingerprint}: ${finding.kind}${finding.target ? ` on ${finding.target}` : ""} (${finding.severity}, confidence ${finding.confidence.toFixed(2)})${numbers ? `: ${numbers}` : ""}.`;
}
