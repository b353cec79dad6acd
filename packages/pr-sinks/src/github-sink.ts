import { PatinoxError, type PullRequestRef } from "@patinox/contracts";
import Bottleneck from "bottleneck";
import { App, Octokit, RequestError } from "octokit";
import {
  type ChangeRequest,
  type ChangeSink,
  type Proposal,
  ProposalState,
} from "./change-sink.ts";

/** How the sink authenticates: a token (PAT, fine-grained or `GITHUB_TOKEN`) or a GitHub App installation. */
export type GitHubAuth =
  | { readonly kind: "token"; readonly token: string }
  | {
      readonly kind: "app";
      readonly appId: string;
      /** The App's private key (PEM). */
      readonly privateKey: string;
      readonly installationId: number;
    };

/** Options of {@link GitHubSink}. */
export interface GitHubSinkOptions {
  readonly owner: string;
  readonly repo: string;
  /** The branch pull requests are opened against. */
  readonly baseBranch: string;
  /** The API's URL; `https://<host>/api/v3` for GitHub Enterprise Server. @default https://api.github.com */
  readonly baseUrl?: string;
  readonly auth: GitHubAuth;
  /**
   * The longest rate-limit wait (primary `x-ratelimit-reset` or secondary `retry-after`) the
   * client sits out itself before the call fails with `rate_limited` (Plan then retries the
   * plan later). @default 60000
   */
  readonly maxRateLimitWaitMs?: number;
  /** Retries of server errors (5xx) by Octokit's retry plugin. @default 3 */
  readonly serverErrorRetries?: number;
  /**
   * Least time between two writes (POST/PUT/PATCH/DELETE). GitHub asks integrations to make
   * mutating requests one at a time, a second apart, to stay clear of secondary rate limits;
   * lower it only against a test server. Also lowers the 3 s Octokit keeps between writes that
   * notify people (opening a pull request, commenting). @default 1000 (3000 for those)
   */
  readonly minWriteIntervalMs?: number;
  /** Where the client's warnings go (never with credentials). @default nowhere */
  readonly warn?: (message: string) => void;
}

interface PullSummary {
  readonly number: number;
  readonly state: string;
  readonly html_url: string;
  readonly merged_at: string | null;
  readonly merge_commit_sha: string | null;
  readonly head: { readonly sha: string; readonly ref: string };
  readonly body: string | null;
  readonly labels?: readonly { readonly name: string }[];
}

/**
 * Proposes changes as GitHub pull requests with the `octokit` package (its retry and
 * throttling plugins on). One branch and one pull request per request branch: every step
 * first looks for what an earlier attempt made — the pull request by its head branch, the
 * branch by its ref, the commit by the file's content on the branch — so a crash between
 * any two steps, a redelivery or a second replica never opens a second pull request; the
 * races that remain (two creators at once) end in GitHub's own 422/409, which mean "someone
 * else did it" and lead to the same find.
 */
export class GitHubSink implements ChangeSink {
  readonly kind = "github" as const;
  readonly #options: GitHubSinkOptions;
  readonly #client: Promise<InstanceType<typeof Octokit>>;

  constructor(options: GitHubSinkOptions) {
    this.#options = options;
    this.#client = createClient(options);
    // A client that cannot be built (a bad App key) fails each call, never the process.
    this.#client.catch(() => {});
  }

  async propose(request: ChangeRequest): Promise<Proposal> {
    return await this.#call("propose", async (octokit) => {
      const existing = await this.#findPull(octokit, request.branch);
      if (existing) {
        // A crash between opening the pull request and labelling it leaves it unlabelled.
        if (existing.state === "open") await this.#label(octokit, existing, request.labels);
        return this.#proposal(existing, false);
      }
      const baseSha = await this.#branchSha(octokit, this.#options.baseBranch);
      if (baseSha === undefined) {
        throw new PatinoxError("not_found", `base branch ${this.#options.baseBranch} not found`);
      }
      const baseFile = await this.#readFile(octokit, request.path, this.#options.baseBranch);
      if (baseFile === undefined) {
        throw new PatinoxError(
          "not_found",
          `${request.path} not found on ${this.#options.baseBranch}`,
        );
      }
      const edited = request.edit(baseFile.text);
      if (!edited.ok) throw edited.error;
      if (edited.value === baseFile.text) {
        throw new PatinoxError(
          "conflict",
          `the change to ${request.path} is already on ${this.#options.baseBranch}`,
        );
      }
      if ((await this.#branchSha(octokit, request.branch)) === undefined) {
        await ignoreStatus(422, () =>
          octokit.rest.git.createRef({
            ...this.#repo(),
            ref: `refs/heads/${request.branch}`,
            sha: baseSha,
          }),
        );
      }
      await this.#writeFile(octokit, request, edited.value);
      let pull: PullSummary | undefined;
      try {
        const created = await octokit.rest.pulls.create({
          ...this.#repo(),
          head: request.branch,
          base: this.#options.baseBranch,
          title: request.title,
          body: request.body,
        });
        pull = created.data as PullSummary;
      } catch (error) {
        // "A pull request already exists": another attempt got there between find and create.
        if (!(error instanceof RequestError && error.status === 422)) throw error;
        pull = await this.#findPull(octokit, request.branch);
        if (!pull) throw error;
        return this.#proposal(pull, false);
      }
      await this.#label(octokit, pull, request.labels);
      return this.#proposal(pull, true);
    });
  }

  async find(branch: string): Promise<Proposal | undefined> {
    return await this.#call("find", async (octokit) => {
      const pull = await this.#findPull(octokit, branch);
      return pull ? this.#proposal(pull, false) : undefined;
    });
  }

  async updateBody(ref: PullRequestRef, body: string): Promise<boolean> {
    return await this.#call("updateBody", async (octokit) => {
      const pull = await this.#pull(octokit, ref);
      if (pull.body === body || pull.state !== "open") return false;
      await octokit.rest.pulls.update({ ...this.#repo(), pull_number: pull.number, body });
      return true;
    });
  }

  async close(ref: PullRequestRef, comment: string): Promise<void> {
    await this.#call("close", async (octokit) => {
      const pull = await this.#pull(octokit, ref);
      if (pull.state !== "open") return;
      await octokit.rest.issues.createComment({
        ...this.#repo(),
        issue_number: pull.number,
        body: comment,
      });
      await octokit.rest.pulls.update({
        ...this.#repo(),
        pull_number: pull.number,
        state: "closed",
      });
    });
  }

  async readBase(path: string): Promise<string | undefined> {
    return await this.#call("readBase", async (octokit) => {
      return (await this.#readFile(octokit, path, this.#options.baseBranch))?.text;
    });
  }

  /** Runs one sink operation; every failure becomes a PatinoxError without credentials. */
  async #call<T>(
    operation: string,
    body: (octokit: InstanceType<typeof Octokit>) => Promise<T>,
  ): Promise<T> {
    try {
      return await body(await this.#client);
    } catch (error) {
      throw toPatinoxError(operation, error);
    }
  }

  #repo(): { owner: string; repo: string } {
    return { owner: this.#options.owner, repo: this.#options.repo };
  }

  async #pull(octokit: InstanceType<typeof Octokit>, ref: PullRequestRef): Promise<PullSummary> {
    if (ref.number !== undefined) {
      const got = await octokit.rest.pulls.get({ ...this.#repo(), pull_number: ref.number });
      return got.data as PullSummary;
    }
    const found = await this.#findPull(octokit, ref.branch);
    if (!found) throw new PatinoxError("not_found", `no pull request for branch ${ref.branch}`);
    return found;
  }

  /** Adds the labels the pull request lacks (adding is idempotent on GitHub too; this saves a write). */
  async #label(
    octokit: InstanceType<typeof Octokit>,
    pull: PullSummary,
    labels: readonly string[],
  ): Promise<void> {
    const have = new Set((pull.labels ?? []).map((l) => l.name));
    const missing = labels.filter((l) => !have.has(l));
    if (missing.length === 0) return;
    await octokit.rest.issues.addLabels({
      ...this.#repo(),
      issue_number: pull.number,
      labels: missing,
    });
  }

  /** The newest pull request whose head is `branch`, in any state. */
  async #findPull(
    octokit: InstanceType<typeof Octokit>,
    branch: string,
  ): Promise<PullSummary | undefined> {
    const found = await octokit.rest.pulls.list({
      ...this.#repo(),
      state: "all",
      head: `${this.#options.owner}:${branch}`,
      per_page: 10,
    });
    const pulls = (found.data as PullSummary[]).filter((p) => p.head.ref === branch);
    // An open one wins; else the newest.
    return pulls.find((p) => p.state === "open") ?? pulls.sort((a, b) => b.number - a.number)[0];
  }

  async #branchSha(
    octokit: InstanceType<typeof Octokit>,
    branch: string,
  ): Promise<string | undefined> {
    try {
      const got = await octokit.rest.git.getRef({ ...this.#repo(), ref: `heads/${branch}` });
      return got.data.object.sha;
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  async #readFile(
    octokit: InstanceType<typeof Octokit>,
    path: string,
    ref: string,
  ): Promise<{ text: string; sha: string } | undefined> {
    try {
      const got = await octokit.rest.repos.getContent({ ...this.#repo(), path, ref });
      const data = got.data as { type?: string; content?: string; sha: string; encoding?: string };
      if (Array.isArray(got.data) || data.type !== "file" || data.content === undefined) {
        throw new PatinoxError("config_invalid", `${path} on ${ref} is not a file`);
      }
      return { text: Buffer.from(data.content, "base64").toString("utf8"), sha: data.sha };
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Commits the text on the branch unless it is already there; a lost race (409) is re-read once. */
  async #writeFile(
    octokit: InstanceType<typeof Octokit>,
    request: ChangeRequest,
    text: string,
  ): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.#readFile(octokit, request.path, request.branch);
      if (current?.text === text) return;
      try {
        await octokit.rest.repos.createOrUpdateFileContents({
          ...this.#repo(),
          path: request.path,
          branch: request.branch,
          message: request.commitMessage,
          content: Buffer.from(text, "utf8").toString("base64"),
          ...(current ? { sha: current.sha } : {}),
        });
        return;
      } catch (error) {
        if (!(error instanceof RequestError && error.status === 409)) throw error;
      }
    }
    throw new PatinoxError(
      "conflict",
      `${request.path} on ${request.branch} kept changing under the commit`,
    );
  }

  #proposal(pull: PullSummary, created: boolean): Proposal {
    const state =
      pull.state === "open"
        ? ProposalState.Open
        : pull.merged_at
          ? ProposalState.Merged
          : ProposalState.Closed;
    return {
      ref: {
        sink: "github",
        branch: pull.head.ref,
        number: pull.number,
        url: pull.html_url,
        commit: pull.head.sha,
      },
      state,
      ...(state === ProposalState.Merged && pull.merge_commit_sha
        ? { mergeCommit: pull.merge_commit_sha }
        : {}),
      created,
    };
  }
}

async function createClient(options: GitHubSinkOptions): Promise<InstanceType<typeof Octokit>> {
  const maxWaitS = (options.maxRateLimitWaitMs ?? 60_000) / 1000;
  const warn = options.warn ?? (() => {});
  const throttle = {
    // Sit out a short limit (once); a longer one fails the call and Plan retries the plan.
    onRateLimit: (retryAfter: number, _o: unknown, _k: unknown, retryCount: number) => {
      warn(`GitHub primary rate limit; retry after ${retryAfter}s`);
      return retryCount < 1 && retryAfter <= maxWaitS;
    },
    onSecondaryRateLimit: (retryAfter: number, _o: unknown, _k: unknown, retryCount: number) => {
      warn(`GitHub secondary rate limit; retry after ${retryAfter}s`);
      return retryCount < 1 && retryAfter <= maxWaitS;
    },
    ...(options.minWriteIntervalMs === undefined
      ? {}
      : {
          write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.minWriteIntervalMs }),
          // Writes that notify people (opening a pull request, commenting) get 3 s by default.
          notifications: new Bottleneck.Group({
            maxConcurrent: 1,
            minTime: options.minWriteIntervalMs,
          }),
        }),
  };
  const common = {
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, "") } : {}),
    userAgent: "patinox-plan",
    throttle,
    // 409 (a file changed under a commit) is re-read by the sink, not repeated blindly.
    retry: {
      retries: options.serverErrorRetries ?? 3,
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451],
    },
    // Octokit's default logger writes to the console; route warnings, drop the rest.
    log: {
      debug: () => {},
      info: () => {},
      warn: (m: string) => warn(m),
      error: (m: string) => warn(m),
    },
  };
  if (options.auth.kind === "token") {
    return new Octokit({ ...common, auth: options.auth.token });
  }
  const app = new App({
    appId: options.auth.appId,
    privateKey: options.auth.privateKey,
    Octokit: Octokit.defaults(common),
  });
  return (await app.getInstallationOctokit(options.auth.installationId)) as unknown as InstanceType<
    typeof Octokit
  >;
}

async function ignoreStatus(status: number, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (!(error instanceof RequestError && error.status === status)) throw error;
  }
}

/**
 * A GitHub failure as a PatinoxError: the status and GitHub's message, never the request's
 * headers (which hold the token). Rate limits carry `retryAfterMs`.
 */
export function toPatinoxError(operation: string, error: unknown): PatinoxError {
  if (error instanceof PatinoxError) return error;
  if (error instanceof RequestError) {
    const headers = error.response?.headers ?? {};
    const githubMessage = String(
      (error.response?.data as { message?: unknown } | undefined)?.message ?? error.message,
    )
      .split("\n")[0]
      ?.slice(0, 300);
    const message = `GitHub answered ${error.status} to ${operation}: ${githubMessage}`;
    const details = { status: error.status, operation };
    const rateLimited =
      error.status === 429 ||
      (error.status === 403 &&
        (headers["x-ratelimit-remaining"] === "0" ||
          headers["retry-after"] !== undefined ||
          /rate limit/i.test(githubMessage ?? "")));
    if (rateLimited) {
      const retryAfter = Number(headers["retry-after"]);
      const reset = Number(headers["x-ratelimit-reset"]);
      const retryAfterMs =
        Number.isFinite(retryAfter) && headers["retry-after"] !== undefined
          ? retryAfter * 1000
          : Number.isFinite(reset)
            ? Math.max(0, reset * 1000 - Date.now())
            : 60_000;
      return new PatinoxError("rate_limited", message, { details, retryAfterMs });
    }
    switch (error.status) {
      case 401:
      case 403:
        return new PatinoxError("permission_denied", message, { details });
      case 404:
        return new PatinoxError("not_found", message, { details });
      case 409:
        return new PatinoxError("conflict", message, { details });
      case 422:
        return new PatinoxError("config_invalid", message, { details });
      default:
        return new PatinoxError("unavailable", message, { details });
    }
  }
  // Network failures and the like: the message may hold a URL, never the token.
  return new PatinoxError(
    "unavailable",
    `GitHub could not be reached for ${operation}: ${String((error as Error)?.message ?? error).slice(0, 300)}`,
  );
}
