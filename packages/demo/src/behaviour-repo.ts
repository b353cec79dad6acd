import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The demo agent, as a user would keep it in their behaviour repository: comments and all,
 * so the plan's diff shows that Plan edits the one field and leaves everything else alone.
 * Its tool's timeout is too tight for the order system at busy moments; the evolution policy
 * lets the loop raise it.
 */
export const DEMO_AGENT_YAML = `# yaml-language-server: $schema=../../docs/schemas/AgentDefinition.json
#
# Orders: answers "where is my order?" by looking the order up.
v: 1
name: orders
description: Answers order questions by looking the order up.

model:
  name: simulated-small
  timeoutMs: 10000

instructions: |
  Look the order up with lookup_order and answer in one sentence.

tools:
  - name: lookup_order
    description: Look up an order by its four-digit number.
    parameters:
      type: object
      properties:
        orderId:
          type: string
          description: The order number, four digits.
      required: [orderId]
      additionalProperties: false
    # Set when the order system always answered within 100 ms.
    timeoutMs: 250
    retries: 0

limits:
  # The demo's traffic is about 15 requests a second.
  rateLimit:
    requestsPerMinute: 6000
    burst: 200

evolution:
  allow:
    # The loop may raise the tool's timeout up to 2 s, at most 1 s per change.
    - path: tools.lookup_order.timeoutMs
      min: 100
      max: 2000
      step: 1000
`;

/** A local git repository holding `agents/orders.yaml` on `main`: Plan's `git` sink. */
export class BehaviourRepo {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  /** Creates the repository with the demo agent committed on `main`. */
  static async create(path: string): Promise<BehaviourRepo> {
    await mkdir(join(path, "agents"), { recursive: true });
    const repo = new BehaviourRepo(path);
    await repo.git("init", "--quiet", "--initial-branch=main");
    await writeFile(join(path, "agents", "orders.yaml"), DEMO_AGENT_YAML);
    await repo.git("add", "agents/orders.yaml");
    await repo.git("commit", "--quiet", "-m", "orders agent");
    return repo;
  }

  /** Merges `branch` into `main`, as a reviewer approving the pull request would. */
  async merge(branch: string): Promise<void> {
    await this.git("checkout", "--quiet", "main");
    await this.git("merge", "--no-ff", "--quiet", "-m", `Merge ${branch} (reviewed)`, branch);
  }

  /** The diff a branch makes against `main`. */
  async diff(branch: string): Promise<string> {
    return await this.git("diff", `main...${branch}`, "--", "agents/orders.yaml");
  }

  async git(...args: string[]): Promise<string> {
    const { stdout } = await run("git", args, {
      cwd: this.path,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "Patinox demo",
        GIT_AUTHOR_EMAIL: "demo@patinox.invalid",
        GIT_COMMITTER_NAME: "Patinox demo",
        GIT_COMMITTER_EMAIL: "demo@patinox.invalid",
      },
    });
    return stdout;
  }
}
