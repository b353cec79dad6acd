import {
  type AgentDefinition,
  type InputValidatorConfig,
  type OutputValidatorConfig,
  PatinoxError,
  type ToolValidatorConfig,
  type ValidatorConfig,
  type ValidatorStage,
} from "@patinox/contracts";
import { createDenyPatternsValidator } from "./builtins/deny-patterns.ts";
import { createMaxInputSizeValidator } from "./builtins/max-input-size.ts";
import { createOutputJsonSchemaValidator } from "./builtins/output-json-schema.ts";
import { createOutputMaxLengthValidator } from "./builtins/output-max-length.ts";
import { createPiiRedactionValidator } from "./builtins/pii-redaction.ts";
import { createPromptInjectionValidator } from "./builtins/prompt-injection.ts";
import type { StageOutcome } from "./outcome.ts";
import { type Clock, type PipelineOptions, ValidationPipeline } from "./pipeline.ts";
import { createSchemaCompiler, type SchemaCompiler } from "./schema-compiler.ts";
import {
  inputView,
  outputView,
  type RunInput,
  type TextView,
  type ToolCall,
  toolCallView,
} from "./text-view.ts";
import type { Validator } from "./validator.ts";

/** What validators are built from: an agent definition (any version of it). */
export type ValidatorSource = Pick<AgentDefinition, "name" | "validators">;

/** Options of {@link buildValidators}. */
export interface BuildOptions {
  /**
   * Compiles the `output_json_schema` schemas.
   * @default a new {@link createSchemaCompiler} per call, so each version has its own ajv
   */
  readonly compileSchema?: SchemaCompiler;
  /**
   * Times each validator for the trace.
   * @default `performance.now`
   */
  readonly now?: Clock;
}

/**
 * The validators of one agent definition version, ready to run. Build it once per version
 * ({@link buildValidators}, or through a `ValidatorCache`) and share it across every request:
 * every pattern and schema in it was compiled when it was built, and running it keeps no state.
 */
export interface AgentValidators {
  /** The agent it was built for. */
  readonly agent: string;
  /** The `input` stage: the caller's text or messages, before the model sees them. */
  readonly input: ValidationPipeline<RunInput>;
  /** The `tool` stage: a tool call's parsed arguments, before the call. */
  readonly tool: ValidationPipeline<ToolCall>;
  /** The `output` stage: the model's final text, before it is returned. */
  readonly output: ValidationPipeline<string>;
  /** Runs the `input` stage. */
  validateInput(input: RunInput): StageOutcome<RunInput>;
  /** Runs the `tool` stage. */
  validateToolCall(call: ToolCall): StageOutcome<ToolCall>;
  /** Runs the `output` stage. */
  validateOutput(text: string): StageOutcome<string>;
}

/**
 * Builds the validators of an agent definition version: every built-in of each stage, in
 * ascending priority, with its regular expressions and JSON Schemas compiled now. Validators
 * are per definition version, never per request: call this when a version is loaded (Execute's
 * hot reload) and reuse the result for every run of it.
 *
 * @throws PatinoxError `config_invalid` naming the stage, index and validator when a pattern
 * or schema does not compile; the caller keeps the last good version.
 */
export function buildValidators(
  source: ValidatorSource,
  options: BuildOptions = {},
): AgentValidators {
  const compile = options.compileSchema ?? createSchemaCompiler();
  const pipelineOptions: PipelineOptions = options.now === undefined ? {} : { now: options.now };
  const agent = source.name;
  const stage = <C extends ValidatorConfig, T>(
    name: ValidatorStage,
    configs: readonly C[],
    create: (config: C) => Validator<T>,
  ): ValidationPipeline<T> =>
    new ValidationPipeline(
      name,
      configs.map((config, index) => {
        try {
          return create(config);
        } catch (cause) {
          throw invalidValidator({ agent, stage: name, index, config, cause });
        }
      }),
      pipelineOptions,
    );

  const input = stage("input", source.validators.input, (c) => textValidator(c, inputView));
  const tool = stage("tool", source.validators.tool, (c) => textValidator(c, toolCallView));
  const output = stage("output", source.validators.output, (c) => outputValidator(c, compile));
  return Object.freeze({
    agent,
    input,
    tool,
    output,
    validateInput: (value: RunInput) => input.run(value),
    validateToolCall: (call: ToolCall) => tool.run(call),
    validateOutput: (text: string) => output.run(text),
  });
}

/** A built-in of the `input` or `tool` stage, reading the value through `view`. */
function textValidator<T>(
  config: InputValidatorConfig | ToolValidatorConfig,
  view: TextView<T>,
): Validator<T> {
  switch (config.kind) {
    case "max_input_size":
      return createMaxInputSizeValidator(config, view);
    case "deny_patterns":
      return createDenyPatternsValidator(config, view);
    case "prompt_injection":
      return createPromptInjectionValidator(config, view);
    case "pii_redaction":
      return createPiiRedactionValidator(config, view);
    default:
      return unknownKind(config);
  }
}

/** A built-in of the `output` stage. */
function outputValidator(
  config: OutputValidatorConfig,
  compile: SchemaCompiler,
): Validator<string> {
  switch (config.kind) {
    case "output_max_length":
      return createOutputMaxLengthValidator(config);
    case "output_json_schema":
      return createOutputJsonSchemaValidator(config, compile);
    case "deny_patterns":
      return createDenyPatternsValidator(config, outputView);
    case "pii_redaction":
      return createPiiRedactionValidator(config, outputView);
    default:
      return unknownKind(config);
  }
}

/** Exhaustive: a new kind in the contracts fails to compile here until it is built. */
function unknownKind(config: never): never {
  throw new Error(`unknown validator kind ${JSON.stringify((config as { kind?: unknown }).kind)}`);
}

interface InvalidValidator {
  readonly agent: string;
  readonly stage: ValidatorStage;
  readonly index: number;
  readonly config: ValidatorConfig;
  readonly cause: unknown;
}

function invalidValidator({ agent, stage, index, config, cause }: InvalidValidator): PatinoxError {
  const validator = config.name ?? config.kind;
  // The messages of RegExp and ajv describe the configuration, never user content.
  const why = cause instanceof Error ? cause.message : String(cause);
  return new PatinoxError(
    "config_invalid",
    `agent "${agent}": validators.${stage}[${index}] ("${validator}") does not compile: ${why}`,
    { details: { agent, stage, index, validator }, cause },
  );
}
