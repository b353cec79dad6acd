/**
 * Test only: a GitHub REST API on loopback that checks every request and answer against
 * GitHub's published OpenAPI description (`@octokit/openapi`, api.github.com) and keeps an
 * in-memory repository (branches, commits, files, pull requests, labels, comments) that a test
 * merges and closes as a reviewer would. Failures (401, 403, 404, 422, primary and secondary
 * rate limits with GitHub's headers) are scripted per operation.
 * @packageDocumentation
 */

export type {
  FailureScript,
  GitHubServerOptions,
  RecordedRequest,
  ScriptedFailure,
} from "./github-server.ts";
export { GitHubServer } from "./github-server.ts";
export type { Operation, RouteMatch } from "./openapi.ts";
export { GitHubDescription, githubDescription } from "./openapi.ts";
export type { Commit, PullRequest, PullRequestComment } from "./repository.ts";
export { blobSha, InMemoryRepository, RepositoryError } from "./repository.ts";
