import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseDefinition } from "@patinox/agents";
import {
  type AgentDefinition,
  type EvolutionPolicy,
  Finding,
  type FindingKind,
} from "@patinox/contracts";
import { describe, expect, it } from "vitest";
import { applyChangesToYaml } from "./apply-to-yaml.ts";
import { checkChange } from "./evolution-policy.ts";
import { planFinding } from "./planners.ts";
import { revertChanges } from "./revert.ts";
import { unifiedDiff } from "./text-diff.ts";

const SUPPORT_FILE = fileURLToPath(
  new URL("../../../examples/agents/support.yaml", import.meta.url),
);
const SUPPORT_TEXT = readFileSync(SUPPORT_FILE, "utf8");

function support(
  evolution?: EvolutionPolicy,
  patch: (d: AgentDefinition) => void = () => {},
): AgentDefinition {
  const parsed = parseDefinition(SUPPORT_TEXT, "support.yaml");
  if (!parsed.ok) throw parsed.error;
  const definition = structuredClone(parsed.value.definition);
  if (evolution) definition.evolution = evolution;
  patch(definition);
  return definition;
}

function finding(kind: FindingKind, target?: string): Finding {
  return Finding.parse({
    v: 1,
    fingerprint: `fp-${kind}`,
    kind,
    agent: "support",
    ...(target ? { target } : {}),
    status: "open",
    severity: "warning",
    confidence: 0.97,
    evidence: { numbers: { rate: 0.31, calls: 120 }, windows: [1_700_000_000_000] },
    firstSeen: "2026-01-01T00:00:00.000Z",
    lastSeen: "2026-01-01T00:05:00.000Z",
  });
}

const allowAll: EvolutionPolicy = {
  allow: [
    { path: "tools.*.timeoutMs", min: 1000, max: 30000, step: 5000 },
    { path: "tools.*.retries", min: 0, max: 3, step: 1 },
    { path: "model.maxOutputTokens", min: 200, max: 1600, step: 200 },
    { path: "model.fallbacks" },
    { path: "model.name" },
    { path: "model.provider" },
    { path: "limits.maxSteps", min: 2, max: 10, step: 1 },
  ],
};

const models = [
  { name: "simulated-large" },
  { name: "simulated-fast", speedRank: 1 },
  { name: "simulated-small", speedRank: 5 },
];

describe("planFinding", () => {
  const cases: {
    name: string;
    kind: FindingKind;
    target?: string;
    policy?: EvolutionPolicy;
    patch?: (d: AgentDefinition) => void;
    planner: string;
    change?: { path: string; from?: unknown; to: unknown }[];
    dropped?: string[];
  }[] = [
    {
      name: "tool timeouts raise the tool's timeout by the policy's step",
      kind: "tool_timeouts",
      target: "lookup_order",
      planner: "tool_timeout",
      change: [{ path: "tools.lookup_order.timeoutMs", from: 5000, to: 10000 }],
    },
    {
      name: "tool timeouts at the max timeout raise retries instead",
      kind: "tool_timeouts",
      target: "lookup_order",
      patch: (d) => {
        (d.tools[0] as { timeoutMs: number }).timeoutMs = 30000;
      },
      planner: "tool_timeout",
      change: [{ path: "tools.lookup_order.retries", from: 2, to: 3 }],
      dropped: ["tools.lookup_order.timeoutMs"],
    },
    {
      name: "tool timeouts are clamped to the max",
      kind: "tool_timeouts",
      target: "lookup_order",
      patch: (d) => {
        (d.tools[0] as { timeoutMs: number }).timeoutMs = 28000;
      },
      planner: "tool_timeout",
      change: [{ path: "tools.lookup_order.timeoutMs", from: 28000, to: 30000 }],
    },
    {
      name: "tool timeouts of an unknown tool change nothing",
      kind: "tool_timeouts",
      target: "nope",
      planner: "tool_timeout",
      dropped: ["tools.nope"],
    },
    {
      name: "tool failures raise retries",
      kind: "tool_failures",
      target: "search_docs",
      planner: "tool_retries",
      change: [{ path: "tools.search_docs.retries", from: 1, to: 2 }],
    },
    {
      name: "model errors add a configured fallback",
      kind: "error_rate_slo",
      planner: "fallback_models",
      change: [
        {
          path: "model.fallbacks",
          from: [{ name: "simulated-large" }],
          to: [{ name: "simulated-large" }, { name: "simulated-fast" }],
        },
      ],
    },
    {
      name: "a flapping breaker of a fallback moves it last",
      kind: "breaker_flapping",
      target: "simulated-large",
      patch: (d) => {
        d.model.fallbacks = [{ name: "simulated-large" }, { name: "other" }];
      },
      planner: "fallback_models",
      change: [
        {
          path: "model.fallbacks",
          from: [{ name: "simulated-large" }, { name: "other" }],
          to: [{ name: "other" }, { name: "simulated-large" }],
        },
      ],
    },
    {
      name: "reliance on a later fallback moves it first",
      kind: "fallback_reliance",
      target: "other",
      patch: (d) => {
        d.model.fallbacks = [{ name: "simulated-large" }, { name: "other" }];
      },
      planner: "fallback_models",
      change: [
        {
          path: "model.fallbacks",
          from: [{ name: "simulated-large" }, { name: "other" }],
          to: [{ name: "other" }, { name: "simulated-large" }],
        },
      ],
    },
    {
      name: "output-length rejections raise max output tokens",
      kind: "validator_rejections",
      target: "output_max_length",
      planner: "output_length",
      change: [{ path: "model.maxOutputTokens", from: 800, to: 1000 }],
    },
    {
      name: "rejections by another validator have no rule",
      kind: "validator_rejections",
      target: "no_internal_links",
      planner: "output_length",
    },
    {
      name: "latency lowers max output tokens",
      kind: "latency_slo",
      planner: "latency",
      change: [{ path: "model.maxOutputTokens", from: 800, to: 600 }],
    },
    {
      name: "latency at the min tokens moves to a faster configured model",
      kind: "latency_baseline",
      patch: (d) => {
        d.model.maxOutputTokens = 200;
      },
      planner: "latency",
      change: [{ path: "model.name", from: "simulated-small", to: "simulated-fast" }],
      dropped: ["model.maxOutputTokens"],
    },
    {
      name: "budget burn lowers max steps by one",
      kind: "budget_burn",
      planner: "max_steps",
      change: [{ path: "limits.maxSteps", from: 6, to: 5 }],
    },
    {
      name: "a path outside the policy is dropped with the reason",
      kind: "budget_burn",
      policy: { allow: [{ path: "tools.*.timeoutMs" }] },
      planner: "max_steps",
      dropped: ["limits.maxSteps"],
    },
    {
      name: "the example's own policy refuses fallbacks",
      kind: "error_rate_baseline",
      policy: support().evolution,
      planner: "fallback_models",
      dropped: ["model.fallbacks"],
    },
  ];

  it.each(cases)("$name", (c) => {
    const definition = support(c.policy ?? allowAll, c.patch);
    const outcome = planFinding(finding(c.kind, c.target), definition, { models });
    expect(outcome.planner).toBe(c.planner);
    if (c.change) {
      expect(outcome.kind).toBe("proposal");
      if (outcome.kind !== "proposal") return;
      expect(outcome.change).toEqual(c.change);
      expect(outcome.rationale).toContain(`fp-${c.kind}`);
    } else {
      expect(outcome.kind).toBe("none");
    }
    expect(outcome.dropped.map((d) => d.path)).toEqual(c.dropped ?? []);
    for (const d of outcome.dropped) expect(d.reason.length).toBeGreaterThan(5);
  });

  it("never proposes a change its own policy check refuses", () => {
    const kinds: FindingKind[] = [
      "tool_timeouts",
      "tool_failures",
      "budget_burn",
      "latency_slo",
      "validator_rejections",
    ];
    for (const kind of kinds) {
      const definition = support();
      const outcome = planFinding(
        finding(kind, kind.startsWith("tool") ? "lookup_order" : "output_max_length"),
        definition,
        { models },
      );
      if (outcome.kind === "proposal") {
        for (const change of outcome.change)
          expect(checkChange(definition.evolution, change).ok).toBe(true);
      }
    }
  });
});

describe("checkChange", () => {
  const policy: EvolutionPolicy = {
    allow: [{ path: "tools.*.timeoutMs", min: 1000, max: 9000, step: 2000 }],
  };
  it.each([
    [{ path: "tools.a.timeoutMs", from: 5000, to: 7000 }, true],
    [{ path: "tools.a.timeoutMs", from: 5000, to: 8000 }, false],
    [{ path: "tools.a.timeoutMs", from: 8000, to: 10000 }, false],
    [{ path: "tools.a.timeoutMs", from: 2000, to: 500 }, false],
    [{ path: "tools.a.retries", from: 1, to: 2 }, false],
    [{ path: "tools.a.timeoutMs", from: 5000, to: "x" }, false],
    [{ path: "tools.a.timeoutMs", from: 5000, to: 5000 }, false],
  ])("%o → %s", (change, ok) => {
    expect(checkChange(policy, change).ok).toBe(ok);
  });
});

describe("applyChangesToYaml", () => {
  it("changes only the planned value: every comment, key order and layout survive", () => {
    const result = applyChangesToYaml(SUPPORT_TEXT, "support.yaml", [
      { path: "tools.lookup_order.timeoutMs", from: 5000, to: 10000 },
    ]);
    if (!result.ok) throw result.error;
    const before = SUPPORT_TEXT.split("\n");
    const after = result.value.text.split("\n");
    expect(after).toHaveLength(before.length);
    const differing = before.flatMap((line, i) => (line === after[i] ? [] : [[line, after[i]]]));
    expect(differing).toEqual([["    timeoutMs: 5000", "    timeoutMs: 10000"]]);
    expect(result.value.text).toContain(
      "# The order service answers in ~200 ms; 5 s leaves room for its slow days.",
    );
    expect(result.value.definition.tools[0]?.timeoutMs).toBe(10000);
    expect(result.value.definition.tools[1]?.timeoutMs).toBe(8000);
  });

  it("replaces a block list in place, keeping the comment above it", () => {
    const result = applyChangesToYaml(SUPPORT_TEXT, "support.yaml", [
      {
        path: "model.fallbacks",
        from: [{ name: "simulated-large" }],
        to: [{ name: "simulated-large" }, { name: "simulated-fast", provider: "local" }],
      },
    ]);
    if (!result.ok) throw result.error;
    expect(result.value.text).toContain(
      "  # Tried in order when the model fails or its circuit breaker is open.\n  fallbacks:\n    - name: simulated-large\n    - name: simulated-fast\n      provider: local\n  temperature: 0.2\n",
    );
    expect(result.value.definition.model.fallbacks).toHaveLength(2);
  });

  it("adds a field that was left to its default, and removes it again on revert", () => {
    const text = SUPPORT_TEXT.replace("    timeoutMs: 8000\n    retries: 1\n", "");
    const result = applyChangesToYaml(text, "support.yaml", [
      { path: "tools.search_docs.timeoutMs", from: 10000, to: 15000 },
    ]);
    if (!result.ok) throw result.error;
    expect(result.value.definition.tools[1]?.timeoutMs).toBe(15000);
    expect(result.value.text).toContain(
      "      additionalProperties: false\n    timeoutMs: 15000\n\nvalidators:",
    );
    const back = applyChangesToYaml(result.value.text, "support.yaml", [
      { path: "tools.search_docs.timeoutMs", from: 15000, to: null },
    ]);
    if (!back.ok) throw back.error;
    expect(back.value.text).toBe(text);
  });

  it("refuses a change whose result breaks the schema, and a path that names nothing", () => {
    const tooBig = applyChangesToYaml(SUPPORT_TEXT, "support.yaml", [
      { path: "tools.lookup_order.retries", from: 2, to: 99 },
    ]);
    expect(tooBig.ok).toBe(false);
    if (!tooBig.ok) expect(tooBig.error.code).toBe("config_invalid");
    const nowhere = applyChangesToYaml(SUPPORT_TEXT, "support.yaml", [
      { path: "tools.missing.retries", from: 2, to: 3 },
    ]);
    expect(nowhere.ok).toBe(false);
  });

  it("round-trips a plan and its revert to the original bytes, with a unified diff", () => {
    const definition = support(allowAll);
    const outcome = planFinding(finding("tool_timeouts", "lookup_order"), definition, { models });
    if (outcome.kind !== "proposal") throw new Error("expected a proposal");
    const forward = applyChangesToYaml(SUPPORT_TEXT, "support.yaml", outcome.change);
    if (!forward.ok) throw forward.error;
    const diff = unifiedDiff("agents/support.yaml", SUPPORT_TEXT, forward.value.text);
    expect(diff).toContain("--- a/agents/support.yaml");
    expect(diff).toContain("-    timeoutMs: 5000\n+    timeoutMs: 10000");
    const undo = revertChanges(outcome.change, forward.value.definition);
    expect(undo).toEqual([{ path: "tools.lookup_order.timeoutMs", from: 10000, to: 5000 }]);
    const back = applyChangesToYaml(forward.value.text, "support.yaml", undo);
    if (!back.ok) throw back.error;
    expect(back.value.text).toBe(SUPPORT_TEXT);
  });
});

describe("applyChangesToYaml on text blocks", () => {
  it("replaces the instructions block in place, as a literal block under its key", () => {
    const before = support().instructions;
    const next = `${before}- If a tool times out, tell the customer you are retrying instead of guessing.\n`;
    const result = applyChangesToYaml(SUPPORT_TEXT, "support.yaml", [
      { path: "instructions", from: before, to: next },
    ]);
    if (!result.ok) throw result.error;
    expect(result.value.definition.instructions).toBe(next);
    expect(result.value.text).toContain(
      "  - Be brief and friendly. Never ask for passwords or full card numbers.\n  - If a tool times out, tell the customer you are retrying instead of guessing.\n\ntools:",
    );
    const added = result.value.text
      .split("\n")
      .filter((l) => !SUPPORT_TEXT.split("\n").includes(l));
    expect(added).toEqual([
      "  - If a tool times out, tell the customer you are retrying instead of guessing.",
    ]);
  });

  it("keeps a text without a final newline exact (|-)", () => {
    const result = applyChangesToYaml(SUPPORT_TEXT, "support.yaml", [
      { path: "instructions", to: "Line one.\n\nLine three." },
    ]);
    if (!result.ok) throw result.error;
    expect(result.value.definition.instructions).toBe("Line one.\n\nLine three.");
    expect(result.value.text).toContain("instructions: |-\n  Line one.\n\n  Line three.\n\ntools:");
  });
});
