import type { PatinoxError, PullRequestRef, Result } from "@patinox/contracts";

/** One change to propose: a file edited on its own branch, with a title and a body. */
export interface ChangeRequest {
  /** The branch that carries the change (`patinox/<agent>/<kind>-<fingerprint>`). */
  readonly branch: string;
  /** The file, relative to the repository root (`agents/support.yaml`). */
  readonly path: string;
  readonly title: string;
  /** Markdown. Never holds a secret: it is shown to everyone who can read the repository. */
  readonly body: string;
  readonly labels: readonly string[];
  readonly commitMessage: string;
  /**
   * Computes the file's new text from its text on the base branch: the sink reads the base
   * and writes what this returns, so the change always applies to what is there now.
   */
  readonly edit: (baseText: string) => Result<string, PatinoxError>;
}

/** Where a proposal stands. */
export const ProposalState = { Open: "open", Merged: "merged", Closed: "closed" } as const;

/** One of the {@link ProposalState} values. */
export type ProposalState = (typeof ProposalState)[keyof typeof ProposalState];

/** A proposal as the sink sees it. */
export interface Proposal {
  readonly ref: PullRequestRef;
  readonly state: ProposalState;
  /** The base branch's commit that carries the change, once merged. */
  readonly mergeCommit?: string;
  /** Whether this call created it (false: found by its branch). */
  readonly created: boolean;
}

/**
 * Where Plan proposes changes: GitHub pull requests or branches of a local repository. Every
 * operation is idempotent and keyed by the branch, so a restart, a redelivery or a second
 * Plan replica finds what an earlier attempt made instead of making it twice.
 * Failures are `PatinoxError`s whose `retryable`/`retryAfterMs` say whether to try again;
 * no error carries a credential.
 */
export interface ChangeSink {
  readonly kind: "github" | "git";
  /** Finds the proposal of a branch, or makes it: branch, commit, pull request, labels. */
  propose(request: ChangeRequest): Promise<Proposal>;
  /** The proposal of a branch, if one was ever made. */
  find(branch: string): Promise<Proposal | undefined>;
  /** Replaces the body (new evidence); `false` when it was already the same or the proposal is not open. */
  updateBody(ref: PullRequestRef, body: string): Promise<boolean>;
  /** Closes an open proposal with a comment; a closed or merged one is left as it is. */
  close(ref: PullRequestRef, comment: string): Promise<void>;
  /** A file's text on the base branch, `undefined` when absent. */
  readBase(path: string): Promise<string | undefined>;
}
