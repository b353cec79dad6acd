import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PatinoxError, type PullRequestRef } from "@patinox/contracts";
import {
  type ChangeRequest,
  type ChangeSink,
  type Proposal,
  ProposalState,
} from "./change-sink.ts";

/** Options of {@link GitSink}. */
export interface GitSinkOptions {
  /** The local repository (a working tree or a bare repository). */
  readonly repository: string;
  /** The branch a change is proposed against and merged into. */
  readonly baseBranch: string;
  /** The commits' author and committer. @default Patinox <patinox@localhost> */
  readonly author?: { readonly name: string; readonly email: string };
}

const NOTES_REF = "refs/notes/patinox";
const PROPOSALS = "refs/patinox/proposals";
const CLOSED = "refs/patinox/closed";
const ZERO = "0".repeat(40);

/**
 * Proposes changes as branches of a local git repository, for offline use and `pnpm demo`:
 * one branch and one commit per request, made with git's plumbing (`hash-object`,
 * `commit-tree`, `update-ref`) so the working tree and index of the user's checkout are never
 * touched. The branch is created with `update-ref <ref> <commit> <zero>`, which succeeds only
 * if the branch does not exist: two racing proposers make one branch. The body lives in a git
 * note (`refs/notes/patinox`) on the branch's commit; `refs/patinox/proposals/<branch>`
 * remembers every proposal, so a branch merged (its commit reachable from the base) or
 * deleted by a person (closed) is still known. Merging is the user's `git merge`.
 */
export class GitSink implements ChangeSink {
  readonly kind = "git" as const;
  readonly #options: GitSinkOptions;

  constructor(options: GitSinkOptions) {
    this.#options = options;
  }

  async propose(request: ChangeRequest): Promise<Proposal> {
    const existing = await this.find(request.branch);
    if (existing) {
      // A crash between creating the branch and writing its note leaves it without a body.
      const commit = existing.ref.commit;
      if (
        existing.state === ProposalState.Open &&
        commit &&
        (await this.#readNote(commit)) === undefined
      ) {
        await this.#note(commit, noteText(request.body, request.labels));
      }
      return existing;
    }
    const base = await this.#resolve(`refs/heads/${this.#options.baseBranch}`);
    if (!base)
      throw new PatinoxError("not_found", `base branch ${this.#options.baseBranch} not found`);
    const baseText = await this.#show(base, request.path);
    if (baseText === undefined) {
      throw new PatinoxError(
        "not_found",
        `${request.path} not found on ${this.#options.baseBranch}`,
      );
    }
    const edited = request.edit(baseText);
    if (!edited.ok) throw edited.error;
    const blob = (
      await this.#git(["hash-object", "-w", "--stdin"], { input: edited.value })
    ).trim();
    const tree = await this.#treeWith(base, request.path, blob);
    const commit = (
      await this.#git(["commit-tree", tree, "-p", base, "-F", "-"], {
        input: `${request.commitMessage}\n`,
        env: this.#identity(),
      })
    ).trim();
    try {
      await this.#git(["update-ref", `refs/heads/${request.branch}`, commit, ZERO]);
    } catch {
      // The branch appeared meanwhile: someone else proposed it.
      const found = await this.find(request.branch);
      if (found) return found;
      throw new PatinoxError("conflict", `branch ${request.branch} could not be created`);
    }
    await this.#git(["update-ref", `${PROPOSALS}/${request.branch}`, commit]);
    await this.#note(commit, noteText(request.body, request.labels));
    return {
      ref: { sink: "git", branch: request.branch, commit },
      state: ProposalState.Open,
      created: true,
    };
  }

  async find(branch: string): Promise<Proposal | undefined> {
    const head = await this.#resolve(`refs/heads/${branch}`);
    const proposed = await this.#resolve(`${PROPOSALS}/${branch}`);
    const commit = head ?? proposed;
    if (!commit) return undefined;
    if (head && !proposed) await this.#git(["update-ref", `${PROPOSALS}/${branch}`, head]);
    const ref: PullRequestRef = { sink: "git", branch, commit };
    const base = await this.#resolve(`refs/heads/${this.#options.baseBranch}`);
    if (base && (await this.#isAncestor(commit, base))) {
      return { ref, state: ProposalState.Merged, mergeCommit: base, created: false };
    }
    if (!head || (await this.#resolve(`${CLOSED}/${branch}`))) {
      return { ref, state: ProposalState.Closed, created: false };
    }
    return { ref, state: ProposalState.Open, created: false };
  }

  async updateBody(ref: PullRequestRef, body: string): Promise<boolean> {
    const found = await this.find(ref.branch);
    if (found?.state !== ProposalState.Open || !found.ref.commit) return false;
    const current = await this.#readNote(found.ref.commit);
    const labels = /^Labels: (.*)$/m.exec(current ?? "")?.[1]?.split(", ") ?? [];
    const next = noteText(body, labels);
    if (current === next) return false;
    await this.#note(found.ref.commit, next);
    return true;
  }

  async close(ref: PullRequestRef, comment: string): Promise<void> {
    const found = await this.find(ref.branch);
    if (found?.state !== ProposalState.Open || !found.ref.commit) return;
    const note = (await this.#readNote(found.ref.commit)) ?? "";
    await this.#note(found.ref.commit, `${note}\n\n---\nClosed by Patinox: ${comment}`);
    await this.#git(["update-ref", `${CLOSED}/${ref.branch}`, found.ref.commit]);
    await this.#git(["update-ref", "-d", `refs/heads/${ref.branch}`, found.ref.commit]);
  }

  async readBase(path: string): Promise<string | undefined> {
    const base = await this.#resolve(`refs/heads/${this.#options.baseBranch}`);
    return base ? await this.#show(base, path) : undefined;
  }

  /** The body of a proposal (its note), for people and tests. */
  async body(ref: PullRequestRef): Promise<string | undefined> {
    const commit = ref.commit ?? (await this.#resolve(`${PROPOSALS}/${ref.branch}`));
    return commit ? await this.#readNote(commit) : undefined;
  }

  async #treeWith(base: string, path: string, blob: string): Promise<string> {
    // A private index, so the user's own index and working tree are never touched.
    const dir = await mkdtemp(join(tmpdir(), "patinox-git-sink-"));
    const env = { GIT_INDEX_FILE: join(dir, "index") };
    try {
      await this.#git(["read-tree", base], { env });
      await this.#git(["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`], { env });
      return (await this.#git(["write-tree"], { env })).trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #resolve(ref: string): Promise<string | undefined> {
    try {
      return (
        (await this.#git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() ||
        undefined
      );
    } catch {
      return undefined;
    }
  }

  async #show(commit: string, path: string): Promise<string | undefined> {
    try {
      return await this.#git(["show", `${commit}:${path}`]);
    } catch {
      return undefined;
    }
  }

  async #isAncestor(commit: string, of: string): Promise<boolean> {
    try {
      await this.#git(["merge-base", "--is-ancestor", commit, of]);
      return true;
    } catch {
      return false;
    }
  }

  async #note(commit: string, text: string): Promise<void> {
    await this.#git(["notes", `--ref=${NOTES_REF}`, "add", "-f", "-F", "-", commit], {
      input: text,
      env: this.#identity(),
    });
  }

  async #readNote(commit: string): Promise<string | undefined> {
    try {
      return (await this.#git(["notes", `--ref=${NOTES_REF}`, "show", commit])).replace(/\n$/, "");
    } catch {
      return undefined;
    }
  }

  #identity(): Record<string, string> {
    const { name, email } = this.#options.author ?? { name: "Patinox", email: "patinox@localhost" };
    return {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
    };
  }

  #git(
    args: string[],
    options: { input?: string; env?: Record<string, string> } = {},
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        "git",
        args,
        {
          cwd: this.#options.repository,
          env: { ...process.env, ...options.env, GIT_TERMINAL_PROMPT: "0" },
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error) {
            reject(
              new PatinoxError(
                "unavailable",
                `git ${args[0]} failed: ${String(stderr).trim().slice(0, 300)}`,
                {
                  cause: error,
                },
              ),
            );
          } else {
            resolve(stdout);
          }
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }
}

function noteText(body: string, labels: readonly string[]): string {
  return labels.length > 0 ? `${body}\n\nLabels: ${labels.join(", ")}` : body;
}
