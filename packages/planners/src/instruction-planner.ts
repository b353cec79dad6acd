import type { AgentDefinition, DefinitionChange, Finding } from "@patinox/contracts";
import { diffLines } from "diff";
import type OpenAI from "openai";
import { z } from "zod";
import { checkChange, ruleFor } from "./evolution-policy.ts";
import { describeFinding, type NoProposal, type Proposal } from "./planners.ts";

/** What the instruction planner needs: a real `openai` client (any OpenAI-compatible endpoint). */
export interface InstructionPlannerOptions {
  readonly client: OpenAI;
  readonly model: string;
  /** Most characters added plus removed in one plan: the "step" of a text change. @default 1500 */
  readonly maxChangedChars?: number;
  /** @default 60000 */
  readonly timeoutMs?: number;
}

/** The model's answer, checked before anything is done with it. */
const InstructionAnswer = z.strictObject({
  instructions: z.string().min(1).max(100_000),
  rationale: z.string().min(1).max(2_000),
});

const ANSWER_SCHEMA = {
  type: "object",
  properties: {
    instructions: { type: "string", description: "The agent's whole new system prompt." },
    rationale: {
      type: "string",
      description: "Why this edit addresses the finding, in two or three sentences.",
    },
  },
  required: ["instructions", "rationale"],
  additionalProperties: false,
} as const;

const SYSTEM_PROMPT = [
  "You maintain the system prompt of an LLM agent that runs in production.",
  "Monitoring found a recurring failure pattern. Propose the smallest edit of the system prompt that is likely to reduce it:",
  "keep every existing rule, keep the wording and structure, add or adjust at most a few sentences.",
  "Never add secrets, URLs or instructions that widen what the agent may do.",
  "Answer with JSON: the whole new prompt in `instructions` and a short `rationale`.",
].join(" ");

/**
 * An LLM planner for the findings no rule covers: asks a model (structured output, checked
 * with zod) for a minimal edit of the agent's `instructions`. Bounded like any plan: the
 * agent's evolution policy must allow `instructions`, and the edit may add and remove at most
 * `maxChangedChars` characters (a line diff). The model is not called when the policy does not
 * allow the field. Never throws: a failed call or an answer that breaks the schema is a
 * {@link NoProposal} with the reason.
 */
export async function planInstructionChange(
  finding: Finding,
  definition: AgentDefinition,
  options: InstructionPlannerOptions,
): Promise<Proposal | NoProposal> {
  const planner = "instructions";
  const none = (reason: string, dropped: NoProposal["dropped"] = []): NoProposal => ({
    kind: "none",
    planner,
    dropped,
    reason,
  });
  if (!ruleFor(definition.evolution, "instructions")) {
    return none("instructions is not in the agent's evolution.allow", [
      { path: "instructions", reason: "instructions is not in the agent's evolution.allow" },
    ]);
  }
  let content: string | null | undefined;
  try {
    const completion = await options.client.chat.completions.create(
      {
        model: options.model,
        temperature: 0.2,
        messages: [
          { role: "system", content: SYSTEM_PROMPT },
          {
            role: "user",
            content: JSON.stringify({
              agent: definition.name,
              description: definition.description,
              finding: {
                kind: finding.kind,
                target: finding.target,
                severity: finding.severity,
                evidence: finding.evidence.numbers,
              },
              tools: definition.tools.map((t) => ({ name: t.name, description: t.description })),
              instructions: definition.instructions,
            }),
          },
        ],
        response_format: {
          type: "json_schema",
          json_schema: { name: "instruction_change", strict: true, schema: ANSWER_SCHEMA },
        },
      },
      { timeout: options.timeoutMs ?? 60_000, maxRetries: 1 },
    );
    content = completion.choices[0]?.message?.content;
  } catch (error) {
    // The client's message names the status and endpoint, never the key.
    return none(`the model could not be asked: ${String((error as Error).message).slice(0, 300)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content ?? "");
  } catch {
    return none("the model's answer is not JSON");
  }
  const answer = InstructionAnswer.safeParse(parsed);
  if (!answer.success) return none("the model's answer does not match the expected shape");
  const next = answer.data.instructions;
  const changed = diffLines(definition.instructions, next)
    .filter((part) => part.added || part.removed)
    .reduce((sum, part) => sum + part.value.length, 0);
  const limit = options.maxChangedChars ?? 1_500;
  if (changed === 0) return none("the model proposed no change");
  if (changed > limit) {
    return none(`the model's edit changes ${changed} characters, more than ${limit}`, [
      {
        path: "instructions",
        reason: `an edit of ${changed} characters exceeds the ${limit} allowed in one plan`,
      },
    ]);
  }
  const change: DefinitionChange = {
    path: "instructions",
    from: definition.instructions,
    to: next,
  };
  const verdict = checkChange(definition.evolution, change);
  if (!verdict.ok) return none(verdict.dropped.reason, [verdict.dropped]);
  return {
    kind: "proposal",
    planner,
    change: [change],
    dropped: [],
    rationale: `${describeFinding(finding)}\n\nNo rule covers this finding; ${options.model} proposed an edit of the instructions (${changed} characters): ${answer.data.rationale}`,
  };
}
