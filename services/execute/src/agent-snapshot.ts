import {
  type AgentDefinition,
  type AgentDefinitionRecord,
  PatinoxError,
  type Subjects,
  type ToolConfig,
} from "@patinox/contracts";
import { type ArgumentIssue, compileArgumentsSchema } from "@patinox/tools";
import { type AgentValidators, buildValidators } from "@patinox/validation";
import type { ChatCompletionFunctionTool } from "openai/resources/chat/completions";
import type { ResponseFormatJSONSchema } from "openai/resources/shared";

/** A tool of one definition version, with what calling it needs compiled once. */
export interface ToolBinding {
  readonly config: ToolConfig;
  /** `tool.subject`, or `<prefix>.tools.<name>`. */
  readonly subject: string;
  /** Checks arguments against the tool's `parameters` (compiled once per version). */
  readonly checkArguments: (value: unknown) => readonly ArgumentIssue[];
}

/**
 * One version of an agent, ready to run: the definition, its validators and its tools, all
 * built once when the version is loaded. A run holds its snapshot from start to finish, so a
 * new version never changes a run in flight (copy-on-write: a new version is a new snapshot).
 */
export interface AgentSnapshot {
  readonly agent: string;
  /** The definition's `version` (what the reply's `agentVersion` says). */
  readonly version: number;
  /** The record's revision in the knowledge bucket (what orders versions). */
  readonly revision: number;
  readonly definition: AgentDefinition;
  readonly validators: AgentValidators;
  readonly tools: ReadonlyMap<string, ToolBinding>;
  /** The tools as the model is told of them, in the definition's order. */
  readonly modelTools: readonly ChatCompletionFunctionTool[];
  /**
   * Structured output: when an `output_json_schema` validator checks the answer, the model is
   * asked for JSON of that schema (`response_format`), so it is right the first time more often
   * than after a validator retry. The validator still checks it: not every provider obeys.
   */
  readonly responseFormat?: ResponseFormatJSONSchema;
}

/**
 * Builds a snapshot of a definition record: validators and tool argument schemas compiled now.
 * @throws PatinoxError `config_invalid` when a validator or a tool's `parameters` does not compile
 */
export function buildSnapshot(
  record: AgentDefinitionRecord,
  revision: number,
  subjects: Subjects,
): AgentSnapshot {
  const definition = record.definition;
  const validators = buildValidators(definition);
  const tools = new Map<string, ToolBinding>();
  for (const tool of definition.tools) {
    tools.set(tool.name, {
      config: tool,
      subject: tool.subject ?? subjects.tool(tool.name),
      checkArguments: compileParameters(definition.name, tool),
    });
  }
  const outputSchema = definition.validators.output.find((v) => v.kind === "output_json_schema");
  return Object.freeze({
    ...(outputSchema?.kind === "output_json_schema"
      ? {
          responseFormat: {
            type: "json_schema" as const,
            json_schema: {
              name: `${definition.name}_output`.slice(0, 64),
              schema: outputSchema.schema,
              // Strict mode requires every property to be required; agents' schemas need not be.
              strict: false,
            },
          },
        }
      : {}),
    agent: definition.name,
    version: record.version,
    revision,
    definition,
    validators,
    tools,
    modelTools: Object.freeze(
      definition.tools.map(
        (tool): ChatCompletionFunctionTool => ({
          type: "function",
          function: {
            name: tool.name,
            description: tool.description,
            parameters: tool.parameters,
          },
        }),
      ),
    ),
  });
}

function compileParameters(
  agent: string,
  tool: ToolConfig,
): (value: unknown) => readonly ArgumentIssue[] {
  // `compileArgumentsSchema` shares one ajv instance, which refuses a second schema with the
  // same `$id`: the next version of this agent would fail to load. The id adds nothing here.
  const { $id: _id, ...parameters } = tool.parameters;
  try {
    return compileArgumentsSchema(parameters);
  } catch (cause) {
    throw new PatinoxError(
      "config_invalid",
      `agent ${agent}: the parameters of tool ${tool.name} are not a valid JSON Schema`,
      { details: { agent, tool: tool.name }, cause },
    );
  }
}
