import { createHash } from "node:crypto";

/** A commit of the in-memory repository: a full snapshot of its files. */
export interface Commit {
  readonly sha: string;
  readonly parents: readonly string[];
  readonly message: string;
  readonly date: string;
  /** Path → file content (UTF-8). */
  readonly files: ReadonlyMap<string, string>;
}

/** A comment on a pull request (GitHub keeps them as issue comments). */
export interface PullRequestComment {
  readonly id: number;
  readonly body: string;
  readonly createdAt: string;
}

/** A pull request of the in-memory repository. */
export interface PullRequest {
  readonly number: number;
  title: string;
  body: string | null;
  /** The head branch's name. */
  readonly head: string;
  base: string;
  state: "open" | "closed";
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  closedAt: string | null;
  readonly createdAt: string;
  updatedAt: string;
  labels: string[];
  readonly comments: PullRequestComment[];
  /** The head commit when the pull request was closed or merged (the branch may move on). */
  closedHeadSha: string | null;
}

/** A failure of a repository operation, as GitHub would report it. */
export class RepositoryError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "RepositoryError";
    this.status = status;
  }
}

/**
 * An in-memory git repository as the REST API sees it: branches pointing at commits, each
 * commit a snapshot of every file, pull requests with labels and comments. Tests read it and
 * act as a human would (merge, close) through {@link merge} and {@link close}.
 */
export class InMemoryRepository {
  readonly owner: string;
  readonly name: string;
  readonly defaultBranch: string;
  readonly #commits = new Map<string, Commit>();
  readonly #branches = new Map<string, string>();
  readonly #pulls: PullRequest[] = [];
  #clock = 0;
  #commentIds = 1000;

  constructor(owner: string, name: string, defaultBranch: string, files: Record<string, string>) {
    this.owner = owner;
    this.name = name;
    this.defaultBranch = defaultBranch;
    const root = this.#commit([], "Initial commit", new Map(Object.entries(files)));
    this.#branches.set(defaultBranch, root.sha);
  }

  /** `owner/name`. */
  get fullName(): string {
    return `${this.owner}/${this.name}`;
  }

  /** Branch names and the commit each points at. */
  branches(): ReadonlyMap<string, string> {
    return new Map(this.#branches);
  }

  /** The commit a branch points at, if the branch exists. */
  branchSha(branch: string): string | undefined {
    return this.#branches.get(branch);
  }

  commit(sha: string): Commit | undefined {
    return this.#commits.get(sha);
  }

  /** A file's content on a branch (or at a commit sha). */
  readFile(refOrSha: string, path: string): string | undefined {
    const sha = this.#branches.get(refOrSha) ?? refOrSha;
    return this.#commits.get(sha)?.files.get(path);
  }

  /** Every pull request, oldest first. */
  pulls(): readonly PullRequest[] {
    return this.#pulls;
  }

  pull(number: number): PullRequest | undefined {
    return this.#pulls.find((p) => p.number === number);
  }

  /** Points a new branch at an existing commit. */
  createBranch(branch: string, sha: string): void {
    if (this.#branches.has(branch)) throw new RepositoryError(422, "Reference already exists");
    if (!this.#commits.has(sha)) throw new RepositoryError(422, "Object does not exist");
    this.#branches.set(branch, sha);
  }

  /** Moves a branch; only forward unless `force`. */
  updateBranch(branch: string, sha: string, force: boolean): void {
    const current = this.#branches.get(branch);
    if (current === undefined) throw new RepositoryError(422, "Reference does not exist");
    if (!this.#commits.has(sha)) throw new RepositoryError(422, "Object does not exist");
    if (!force && !this.#ancestors(sha).has(current)) {
      throw new RepositoryError(422, "Update is not a fast forward");
    }
    this.#branches.set(branch, sha);
  }

  deleteBranch(branch: string): void {
    if (!this.#branches.delete(branch)) {
      throw new RepositoryError(422, "Reference does not exist");
    }
  }

  /** Writes one file on a branch as a new commit, returning it. */
  writeFile(branch: string, path: string, content: string, message: string): Commit {
    const head = this.#branches.get(branch);
    if (head === undefined) throw new RepositoryError(404, `Branch ${branch} not found`);
    const parent = this.#commits.get(head);
    const files = new Map(parent?.files);
    files.set(path, content);
    const commit = this.#commit([head], message, files);
    this.#branches.set(branch, commit.sha);
    return commit;
  }

  /** Opens a pull request; GitHub refuses a second open one for the same head, or no commits. */
  openPull(title: string, head: string, base: string, body: string | null): PullRequest {
    const headSha = this.#branches.get(head);
    if (headSha === undefined || !this.#branches.has(base)) {
      throw new RepositoryError(422, "Validation Failed");
    }
    if (this.#pulls.some((p) => p.head === head && p.state === "open")) {
      throw new RepositoryError(422, `A pull request already exists for ${this.owner}:${head}.`);
    }
    if (this.#changedFiles(base, head).size === 0) {
      throw new RepositoryError(422, `No commits between ${base} and ${head}`);
    }
    const now = this.#now();
    const pull: PullRequest = {
      number: this.#pulls.length + 1,
      title,
      body,
      head,
      base,
      state: "open",
      merged: false,
      mergedAt: null,
      mergeCommitSha: null,
      closedAt: null,
      createdAt: now,
      updatedAt: now,
      labels: [],
      comments: [],
      closedHeadSha: null,
    };
    this.#pulls.push(pull);
    return pull;
  }

  /** The head commit of a pull request. */
  headSha(pull: PullRequest): string {
    return pull.closedHeadSha ?? this.#branches.get(pull.head) ?? "0".repeat(40);
  }

  addComment(pull: PullRequest, body: string): PullRequestComment {
    const comment = { id: ++this.#commentIds, body, createdAt: this.#now() };
    pull.comments.push(comment);
    pull.updatedAt = comment.createdAt;
    return comment;
  }

  /** Closes a pull request without merging, as a human (or the API) would. */
  close(number: number): PullRequest {
    const pull = this.#require(number);
    if (pull.state === "open") {
      pull.state = "closed";
      pull.closedAt = this.#now();
      pull.updatedAt = pull.closedAt;
      pull.closedHeadSha = this.headSha(pull);
    }
    return pull;
  }

  /** Reopens a closed, unmerged pull request. */
  reopen(number: number): PullRequest {
    const pull = this.#require(number);
    if (pull.merged) throw new RepositoryError(422, "Cannot reopen a merged pull request");
    pull.state = "open";
    pull.closedAt = null;
    pull.closedHeadSha = null;
    pull.updatedAt = this.#now();
    return pull;
  }

  /**
   * Merges a pull request as a reviewer pressing the button: the files the head branch
   * changed since it left the base are written onto the base in a merge commit. A file the
   * base changed too (differently) is a conflict: nothing is merged.
   */
  merge(number: number): PullRequest {
    const pull = this.#require(number);
    if (pull.state !== "open") throw new RepositoryError(405, "Pull Request is not mergeable");
    const baseSha = this.#branches.get(pull.base);
    const headSha = this.#branches.get(pull.head);
    if (baseSha === undefined || headSha === undefined) {
      throw new RepositoryError(422, "Head or base branch is gone");
    }
    const fork = this.#mergeBase(baseSha, headSha);
    const forkFiles = this.#commits.get(fork)?.files ?? new Map<string, string>();
    const baseFiles = this.#commits.get(baseSha)?.files ?? new Map<string, string>();
    const files = new Map(baseFiles);
    for (const [path, content] of this.#changedFiles(pull.base, pull.head)) {
      if (baseFiles.get(path) !== forkFiles.get(path) && baseFiles.get(path) !== content) {
        throw new RepositoryError(405, `Merge conflict in ${path}`);
      }
      files.set(path, content);
    }
    const commit = this.#commit([baseSha, headSha], `Merge pull request #${number}`, files);
    this.#branches.set(pull.base, commit.sha);
    const now = this.#now();
    Object.assign(pull, {
      state: "closed",
      merged: true,
      mergedAt: now,
      closedAt: now,
      updatedAt: now,
      mergeCommitSha: commit.sha,
      closedHeadSha: headSha,
    });
    return pull;
  }

  /** Files that differ between the merge base of `base` and `head`, and `head`. */
  #changedFiles(base: string, head: string): Map<string, string> {
    const baseSha = this.#branches.get(base) ?? base;
    const headSha = this.#branches.get(head) ?? head;
    const forkFiles = this.#commits.get(this.#mergeBase(baseSha, headSha))?.files;
    const headFiles = this.#commits.get(headSha)?.files ?? new Map<string, string>();
    const changed = new Map<string, string>();
    for (const [path, content] of headFiles) {
      if (forkFiles?.get(path) !== content) changed.set(path, content);
    }
    return changed;
  }

  #mergeBase(a: string, b: string): string {
    const ofA = this.#ancestors(a);
    const queue = [b];
    while (queue.length > 0) {
      const sha = queue.shift() as string;
      if (ofA.has(sha)) return sha;
      queue.push(...(this.#commits.get(sha)?.parents ?? []));
    }
    return a;
  }

  #ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(this.#commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  #require(number: number): PullRequest {
    const pull = this.pull(number);
    if (!pull) throw new RepositoryError(404, "Not Found");
    return pull;
  }

  #commit(parents: string[], message: string, files: Map<string, string>): Commit {
    const date = this.#now();
    const sha = createHash("sha1")
      .update(JSON.stringify([parents, message, date, [...files]]))
      .digest("hex");
    const commit = { sha, parents, message, date, files };
    this.#commits.set(sha, commit);
    return commit;
  }

  /** Strictly increasing timestamps, so commits made in the same millisecond differ. */
  #now(): string {
    this.#clock = Math.max(this.#clock + 1000, Math.floor(Date.now() / 1000) * 1000);
    return new Date(this.#clock).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
}

/** The git blob id of a file's content, as GitHub reports it in `sha`. */
export function blobSha(content: string): string {
  const bytes = Buffer.from(content, "utf8");
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
    .digest("hex");
}
