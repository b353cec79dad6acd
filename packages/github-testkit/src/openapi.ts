import { createRequire } from "node:module";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS with a default export; under NodeNext it arrives as the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** A JSON Schema (OpenAPI 3.0 dialect) as found in GitHub's description. */
export type Schema = Record<string, unknown>;

/** One parameter of an operation, its `$ref` resolved. */
export interface OperationParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "cookie";
  readonly required: boolean;
  readonly schema: Schema;
}

/** One operation of the description: method, path template and what it accepts. */
export interface Operation {
  /** GitHub's operation id, e.g. `pulls/create`. */
  readonly operationId: string;
  readonly method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/pulls`. */
  readonly path: string;
  readonly parameters: readonly OperationParameter[];
  /** JSON pointer (inside the description) of the JSON request body's schema, if any. */
  readonly requestBodyPointer?: string;
  readonly requestBodyRequired: boolean;
  /** Status → JSON pointer of the JSON response schema. */
  readonly responsePointers: ReadonlyMap<number, string>;
}

/** A matched request: the operation and its decoded path parameters. */
export interface RouteMatch {
  readonly operation: Operation;
  readonly pathParams: Readonly<Record<string, string>>;
}

const SPEC_ID = "github";
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;
/** Path parameters that may hold slashes however the client encodes them. */
const GREEDY_PARAMS = new Set(["ref"]);

interface CompiledRoute {
  readonly regex: RegExp;
  readonly names: readonly string[];
  /** Literal characters in the template: a more literal template wins (`/pulls/comments` over `/pulls/{n}`). */
  readonly literalLength: number;
  readonly operations: Map<string, Operation>;
}

/**
 * GitHub's published OpenAPI description of api.github.com (`@octokit/openapi`), indexed for
 * routing, with one ajv instance that resolves `$ref`s inside it. Schemas compile lazily, once
 * each: the description has about a thousand operations and a test uses a handful.
 */
export class GitHubDescription {
  readonly document: Schema;
  readonly #routes: CompiledRoute[] = [];
  readonly #ajv: Ajv;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(document: Schema) {
    this.document = document;
    // OpenAPI 3.0 schemas: `nullable` is understood by ajv; `discriminator`, `example` and the
    // `x-` extensions are annotations here, so strict mode is off rather than the schema edited.
    this.#ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false, logger: false });
    addFormats(this.#ajv);
    this.#ajv.addSchema(document, SPEC_ID);
    const paths = document.paths as Record<string, Record<string, Schema>>;
    for (const [path, item] of Object.entries(paths)) {
      const names: string[] = [];
      const operations = new Map<string, Operation>();
      const multi = new Set<string>();
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const operation = this.#operation(path, method, op);
        for (const raw of (op.parameters ?? []) as Schema[]) {
          if (raw["x-multi-segment"]) multi.add(String(raw.name));
        }
        operations.set(method.toUpperCase(), operation);
      }
      const source = path
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const name = /^\{([^}]+)\}$/.exec(part)?.[1];
          if (name === undefined) return escapeRegex(part);
          names.push(name);
          return multi.has(name) || GREEDY_PARAMS.has(name) ? "(.+)" : "([^/]+)";
        })
        .join("");
      this.#routes.push({
        regex: new RegExp(`^${source}/?$`),
        names,
        literalLength: path.replace(/\{[^}]+\}/g, "").length,
        operations,
      });
    }
    this.#routes.sort((a, b) => b.literalLength - a.literalLength);
  }

  /** Finds the route of a request path (no query string). `undefined` when GitHub has none. */
  route(
    method: string,
    pathname: string,
  ): RouteMatch | { readonly methodNotAllowed: true } | undefined {
    let pathExists = false;
    for (const route of this.#routes) {
      const match = route.regex.exec(pathname);
      if (!match) continue;
      const operation = route.operations.get(method.toUpperCase());
      if (!operation) {
        pathExists = true;
        continue;
      }
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => {
        pathParams[name] = safeDecode(match[i + 1] ?? "");
      });
      return { operation, pathParams };
    }
    return pathExists ? { methodNotAllowed: true } : undefined;
  }

  /** The operation with this id (`pulls/create`). */
  operation(operationId: string): Operation | undefined {
    for (const route of this.#routes) {
      for (const op of route.operations.values()) if (op.operationId === operationId) return op;
    }
    return undefined;
  }

  /** Validates `value` against the schema at `pointer`; the errors as text, empty when valid. */
  validate(pointer: string, value: unknown): string[] {
    let validator = this.#validators.get(pointer);
    if (!validator) {
      validator = this.#ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
      this.#validators.set(pointer, validator);
    }
    if (validator(value)) return [];
    // GitHub's description has `oneOf`s whose branches overlap (a body that fits `basic-error`
    // fits `repository-rule-violation-error` too); matching more than one branch is read as
    // valid, as GitHub's own answers would otherwise break their description.
    const errors = (validator.errors ?? []).filter(
      (e) =>
        !(
          e.keyword === "oneOf" &&
          Array.isArray((e.params as { passingSchemas?: unknown }).passingSchemas)
        ),
    );
    return errors.map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`);
  }

  /** Follows a local `$ref` (`#/components/schemas/x`) to what it points at. */
  resolve<T = Schema>(value: unknown): T {
    let current = value as Schema;
    for (let hops = 0; hops < 32 && typeof current?.$ref === "string"; hops++) {
      current = this.at(String(current.$ref).slice(1)) as Schema;
    }
    return current as T;
  }

  /** The value at a JSON pointer of the description. */
  at(pointer: string): unknown {
    let node: unknown = this.document;
    for (const raw of pointer.split("/").slice(1)) {
      const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
      node = (node as Record<string, unknown> | undefined)?.[key];
    }
    return node;
  }

  #operation(path: string, method: string, op: Schema): Operation {
    const base = `/paths/${escapePointer(path)}/${method}`;
    const parameters = ((op.parameters ?? []) as Schema[]).map((raw) => {
      const p = this.resolve<Schema>(raw);
      return {
        name: String(p.name),
        in: p.in as OperationParameter["in"],
        required: p.required === true,
        schema: this.resolve<Schema>(p.schema ?? {}),
      };
    });
    const body = op.requestBody ? this.resolve<Schema>(op.requestBody) : undefined;
    const bodyContent = (body?.content ?? {}) as Record<string, unknown>;
    const requestBodyPointer = bodyContent["application/json"]
      ? `${op.requestBody && (op.requestBody as Schema).$ref ? String((op.requestBody as Schema).$ref).slice(1) : `${base}/requestBody`}/content/application~1json/schema`
      : undefined;
    const responsePointers = new Map<number, string>();
    for (const [status, raw] of Object.entries((op.responses ?? {}) as Record<string, Schema>)) {
      const pointer =
        typeof raw.$ref === "string" ? raw.$ref.slice(1) : `${base}/responses/${status}`;
      const response = this.resolve<Schema>(raw);
      const content = (response.content ?? {}) as Record<string, unknown>;
      if (content["application/json"]) {
        responsePointers.set(Number(status), `${pointer}/content/application~1json/schema`);
      }
    }
    return {
      operationId: String(op.operationId),
      method: method.toUpperCase(),
      path,
      parameters,
      ...(requestBodyPointer ? { requestBodyPointer } : {}),
      requestBodyRequired: body?.required === true,
      responsePointers,
    };
  }
}

let loaded: GitHubDescription | undefined;

/** GitHub's description of api.github.com, loaded once per process (13 MB of JSON). */
export function githubDescription(): GitHubDescription {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = new GitHubDescription(
      require("@octokit/openapi/generated/api.github.com.json") as Schema,
    );
  }
  return loaded;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
