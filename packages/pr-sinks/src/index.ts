/**
 * Where Plan proposes a change to an agent's definition: a GitHub pull request through
 * Octokit ({@link GitHubSink}) or a branch of a local git repository ({@link GitSink}). Both
 * are idempotent by branch: whatever an earlier attempt made is found, never made twice.
 * @packageDocumentation
 */

export type { ChangeRequest, ChangeSink, Proposal } from "./change-sink.ts";
export { ProposalState } from "./change-sink.ts";
export type { GitSinkOptions } from "./git-sink.ts";
export { GitSink } from "./git-sink.ts";
export type { GitHubAuth, GitHubSinkOptions } from "./github-sink.ts";
export { GitHubSink, toPatinoxError } from "./github-sink.ts";
