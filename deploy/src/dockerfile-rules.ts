import { Copy, DockerfileParser, type Instruction } from "dockerfile-ast";
import { ValidationSeverity, validate } from "dockerfile-utils";

/** One thing wrong with a Dockerfile: which rule, and where. */
export interface DockerfileProblem {
  readonly rule: string;
  readonly line: number;
  readonly message: string;
}

/** One build stage: its `FROM` and the instructions up to the next `FROM`. */
interface Stage {
  readonly name: string | undefined;
  readonly image: string;
  readonly line: number;
  readonly instructions: readonly Instruction[];
}

/** An exact release tag (`24.21.0-trixie-slim`) or a digest: never `latest`, never a moving major. */
const PINNED_TAG = /^\d+\.\d+\.\d+(?:-[A-Za-z0-9.]+)*$/;
const DIGEST = /@sha256:[0-9a-f]{64}$/;
/** Names that would put a credential into an image layer. */
const SECRET_NAME = /(KEY|TOKEN|PASSWORD|SECRET|SEED|CREDS)$/i;

/**
 * Checks a Dockerfile statically: the syntax and semantic checks of `dockerfile-utils` (the
 * validator behind the VS Code Docker extension; hadolint is not packaged for npm or Debian)
 * plus the rules Patinox's images must keep — pinned base images, a non-root numeric user,
 * `NODE_ENV=production`, an exec-form entry point, a final stage that copies only a
 * `pnpm deploy --prod` output, no `ADD`, and no credentials in `ENV` or `ARG`.
 */
export function checkDockerfile(text: string): DockerfileProblem[] {
  const problems: DockerfileProblem[] = validate(text).map((d) => ({
    rule: `dockerfile-utils/${d.code ?? "syntax"}`,
    line: d.range.start.line + 1,
    message: `${d.severity === ValidationSeverity.ERROR ? "error" : "warning"}: ${d.message}`,
  }));
  const dockerfile = DockerfileParser.parse(text);
  const globalArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    const name = property?.getName();
    if (name) globalArgs.set(name, property?.getValue() ?? "");
  }
  const stages = splitStages(dockerfile.getInstructions(), globalArgs);
  const problem = (rule: string, line: number, message: string) =>
    problems.push({ rule, line: line + 1, message });
  if (stages.length === 0) {
    problem("stages", 0, "no FROM instruction");
    return problems;
  }
  const stageNames = new Set(stages.map((s) => s.name).filter((n) => n !== undefined));
  for (const stage of stages) {
    if (stageNames.has(stage.image)) continue;
    const [, tag = ""] = stage.image.split(/:(?=[^/]*$)/);
    if (!DIGEST.test(stage.image) && !PINNED_TAG.test(tag)) {
      problem(
        "pinned-base",
        stage.line,
        `base image ${stage.image} is not pinned by exact tag or digest`,
      );
    }
  }
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const line = instruction.getRange().start.line;
    if (keyword === "ADD")
      problem("no-add", line, "use COPY; ADD fetches URLs and unpacks archives");
    if (keyword === "ENV" || keyword === "ARG") {
      for (const arg of instruction.getArguments()) {
        const name = arg.getValue().split("=")[0] ?? "";
        if (SECRET_NAME.test(name)) {
          problem("no-secret", line, `${keyword} ${name} would bake a credential into the image`);
        }
      }
    }
  }
  const runtime = stages.at(-1) as Stage;
  const final = runtime.instructions;
  const users = final.filter((i) => i.getKeyword() === "USER");
  const lastUser = users.at(-1)?.getArgumentsContent()?.trim() ?? "";
  const uid = lastUser.split(":")[0] ?? "";
  if (!/^\d+$/.test(uid) || uid === "0") {
    problem(
      "non-root",
      runtime.line,
      `the final stage must end as a numeric non-root USER (found ${lastUser || "none"})`,
    );
  }
  const env = final
    .filter((i) => i.getKeyword() === "ENV")
    .flatMap((i) => i.getArguments().map((a) => a.getValue()));
  if (!env.includes("NODE_ENV=production")) {
    problem("node-env", runtime.line, "the final stage must set NODE_ENV=production");
  }
  const entry = final.filter((i) => i.getKeyword() === "ENTRYPOINT" || i.getKeyword() === "CMD");
  if (entry.length === 0) problem("entrypoint", runtime.line, "the final stage has no ENTRYPOINT");
  for (const instruction of entry) {
    if (!instruction.getArgumentsContent()?.trim().startsWith("[")) {
      problem(
        "exec-form",
        instruction.getRange().start.line,
        `${instruction.getKeyword()} in shell form: a shell as PID 1 does not forward SIGTERM`,
      );
    }
  }
  for (const instruction of final) {
    const keyword = instruction.getKeyword();
    if (keyword === "RUN") {
      problem(
        "runtime-stage",
        instruction.getRange().start.line,
        "the final stage runs nothing: it only copies the deploy output",
      );
    }
    if (keyword === "COPY") {
      // Flags are not arguments in the AST.
      const flags = instruction instanceof Copy ? instruction.getFlags() : [];
      if (!flags.some((flag) => flag.getName() === "from")) {
        problem(
          "runtime-stage",
          instruction.getRange().start.line,
          "the final stage copies only from the build stage, never from the build context",
        );
      }
    }
  }
  const deploys = dockerfile
    .getInstructions()
    .filter(
      (i) => i.getKeyword() === "RUN" && /\bpnpm\b.*\bdeploy\b/.test(i.getArgumentsContent() ?? ""),
    );
  if (!deploys.some((i) => /--prod\b/.test(i.getArgumentsContent() ?? ""))) {
    problem(
      "prod-deploy",
      runtime.line,
      "no `pnpm … --prod deploy` step: dev dependencies would ship",
    );
  }
  return problems;
}

/** Groups instructions by stage and resolves `${ARG}` in each `FROM` from the global ARGs. */
function splitStages(
  instructions: readonly Instruction[],
  globalArgs: ReadonlyMap<string, string>,
): Stage[] {
  const stages: Array<{
    name: string | undefined;
    image: string;
    line: number;
    instructions: Instruction[];
  }> = [];
  for (const instruction of instructions) {
    if (instruction.getKeyword() === "FROM") {
      const args = instruction.getArguments().map((a) => a.getValue());
      const image = (args[0] ?? "").replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, name: string) => globalArgs.get(name) ?? "",
      );
      const asIndex = args.findIndex((a) => a.toUpperCase() === "AS");
      stages.push({
        name: asIndex >= 0 ? args[asIndex + 1] : undefined,
        image,
        line: instruction.getRange().start.line,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}
