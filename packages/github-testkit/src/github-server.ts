import { createHmac, randomUUID, verify } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type GitHubDescription, githubDescription, type Operation } from "./openapi.ts";
import { blobSha, InMemoryRepository, type PullRequest, RepositoryError } from "./repository.ts";
import { merge, synthesize } from "./synthesize.ts";

const DOCS = "https://docs.github.com/rest";
const HTML_BASE = "https://github.test";
const RATE_LIMIT = 5000;

/** A failure the server answers instead of the real behaviour, for the next matching requests. */
export type ScriptedFailure =
  | {
      readonly kind: "status";
      readonly status: 401 | 403 | 404 | 409 | 422 | 500 | 502 | 503;
      readonly message?: string;
    }
  /** A primary rate limit: 403 (or 429), `x-ratelimit-remaining: 0` and the reset time. */
  | {
      readonly kind: "primary-rate-limit";
      readonly resetInSeconds?: number;
      readonly status?: 403 | 429;
    }
  /** A secondary rate limit: 403 (or 429) with `retry-after` and GitHub's message. */
  | {
      readonly kind: "secondary-rate-limit";
      readonly retryAfterSeconds?: number;
      readonly status?: 403 | 429;
    };

/** Which requests a {@link ScriptedFailure} applies to, and how many times. */
export interface FailureScript {
  /** GitHub's operation id (`pulls/create`); any operation when absent. */
  readonly operationId?: string;
  /** How many matching requests fail. @default 1 */
  readonly times?: number;
  readonly failure: ScriptedFailure;
}

/** One request the server answered. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** The operation it matched, if any. */
  readonly operationId?: string;
  readonly status: number;
  readonly body?: unknown;
}

/** Options of {@link GitHubServer.start}. */
export interface GitHubServerOptions {
  /** @default "patinox-test" */
  readonly owner?: string;
  /** @default "behaviour" */
  readonly repo?: string;
  /** @default "main" */
  readonly defaultBranch?: string;
  /** Files of the first commit of the default branch, path → content. */
  readonly files?: Record<string, string>;
  /** Tokens accepted in `Authorization` (`token …` or `Bearer …`). @default ["test-token"] */
  readonly tokens?: readonly string[];
  /**
   * A GitHub App installed on the repository: a JWT signed (RS256) with the App's private key
   * and `iss` = `appId` is exchanged for an installation token at
   * `POST /app/installations/{installationId}/access_tokens`.
   */
  readonly app?: {
    readonly appId: string;
    readonly publicKey: string;
    readonly installationId: number;
  };
  /** Where `pull_request` webhooks are delivered, and the secret they are signed with. */
  readonly webhook?: { readonly url: string; readonly secret: string };
}

interface Handled {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface Request {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown>;
}

type Handler = (request: Request) => Handled;

/** An HTTP error as GitHub answers it. */
class HttpError extends Error {
  readonly status: number;
  readonly errors: readonly Record<string, unknown>[] | undefined;
  constructor(status: number, message: string, errors?: Record<string, unknown>[]) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

/**
 * A GitHub REST API on loopback for tests. Every request is matched against GitHub's
 * published OpenAPI description and checked (path and query parameters, JSON body); every
 * answer is built from the description's response schema and checked against it before it
 * is sent. An invalid request gets GitHub's error (404, 422) and is recorded in
 * {@link problems}, so a test fails loudly by asserting it stays empty. Operations Plan uses
 * have behaviour over an {@link InMemoryRepository}; any other documented operation answers
 * 404 and is recorded as a problem too.
 */
export class GitHubServer {
  readonly repository: InMemoryRepository;
  readonly #description: GitHubDescription;
  readonly #server: Server;
  readonly #tokens: Set<string>;
  readonly #handlers: Map<string, Handler>;
  readonly #scripts: { script: FailureScript; left: number }[] = [];
  readonly #requests: RecordedRequest[] = [];
  readonly #problems: string[] = [];
  readonly #listeners = new Set<(request: RecordedRequest) => void>();
  #webhook: { url: string; secret: string } | undefined;
  readonly #app: GitHubServerOptions["app"];
  readonly #installationTokens = new Set<string>();
  readonly #deliveries: Promise<void>[] = [];
  #url = "";

  private constructor(options: GitHubServerOptions) {
    this.#description = githubDescription();
    this.repository = new InMemoryRepository(
      options.owner ?? "patinox-test",
      options.repo ?? "behaviour",
      options.defaultBranch ?? "main",
      options.files ?? { "README.md": "# Behaviour\n" },
    );
    this.#tokens = new Set(options.tokens ?? ["test-token"]);
    this.#webhook = options.webhook ? { ...options.webhook } : undefined;
    this.#app = options.app;
    this.#handlers = this.#createHandlers();
    this.#server = createServer((req, res) => {
      void this.#serve(req, res).catch((error: unknown) => {
        this.#problems.push(`server error: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  }

  /** Starts a server on an ephemeral loopback port. */
  static async start(options: GitHubServerOptions = {}): Promise<GitHubServer> {
    const server = new GitHubServer(options);
    await new Promise<void>((resolve) => server.#server.listen(0, "127.0.0.1", resolve));
    const { port } = server.#server.address() as AddressInfo;
    server.#url = `http://127.0.0.1:${port}`;
    return server;
  }

  /** The API's base URL (give it to Octokit as `baseUrl`). `/api/v3` under it works too, as on GHES. */
  get url(): string {
    return this.#url;
  }

  /** Requests answered so far, oldest first. */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** Invalid requests, unimplemented operations and answers that broke the description. */
  problems(): readonly string[] {
    return [...this.#problems];
  }

  /** Fails the next matching requests as scripted. */
  failNext(script: FailureScript): void {
    this.#scripts.push({ script, left: script.times ?? 1 });
  }

  /** Calls `listener` after each answer is sent (to kill a client right after a given step). */
  onRequest(listener: (request: RecordedRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sets (or clears) where `pull_request` webhooks go. */
  setWebhook(webhook: { url: string; secret: string } | undefined): void {
    this.#webhook = webhook ? { ...webhook } : undefined;
  }

  /** Merges a pull request as a reviewer would, and delivers the `closed` webhook. */
  async merge(number: number): Promise<PullRequest> {
    const pull = this.repository.merge(number);
    await this.#deliver("closed", pull);
    return pull;
  }

  /** Closes a pull request unmerged as a human would, and delivers the `closed` webhook. */
  async close(number: number): Promise<PullRequest> {
    const pull = this.repository.close(number);
    await this.#deliver("closed", pull);
    return pull;
  }

  /** Open pull requests whose head branch is `branch`. */
  openPullsFor(branch: string): PullRequest[] {
    return this.repository.pulls().filter((p) => p.head === branch && p.state === "open");
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#deliveries);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = (req.method ?? "GET").toUpperCase();
    // GitHub Enterprise Server serves the same API under /api/v3.
    const pathname = url.pathname.startsWith("/api/v3/") ? url.pathname.slice(7) : url.pathname;
    const raw = await readBody(req);
    let operation: Operation | undefined;
    let answer: Handled;
    try {
      const matched = this.#description.route(method, pathname);
      if (matched === undefined) {
        this.#problems.push(`${method} ${pathname}: no such operation in GitHub's description`);
        throw new HttpError(404, "Not Found");
      }
      if ("methodNotAllowed" in matched) {
        this.#problems.push(`${method} ${pathname}: method not in GitHub's description`);
        throw new HttpError(404, "Not Found");
      }
      operation = matched.operation;
      if (operation.operationId === "apps/create-installation-access-token") {
        this.#authenticateApp(req);
      } else {
        this.#authenticate(req);
      }
      const scripted = this.#scripted(operation.operationId);
      if (scripted) {
        answer = scripted;
      } else {
        const body = this.#checkRequest(operation, url.searchParams, raw);
        const handler = this.#handlers.get(operation.operationId);
        if (!handler) {
          this.#problems.push(
            `${method} ${pathname}: ${operation.operationId} has no behaviour in the test server`,
          );
          throw new HttpError(404, "Not Found");
        }
        answer = handler({ params: matched.pathParams, query: url.searchParams, body });
      }
    } catch (error) {
      answer = errorAnswer(error);
    }
    if (operation && answer.body !== undefined) this.#checkResponse(operation, answer);
    const headers: Record<string, string> = {
      "content-type": "application/json; charset=utf-8",
      "x-github-request-id": randomUUID(),
      "x-ratelimit-limit": String(RATE_LIMIT),
      "x-ratelimit-remaining": String(RATE_LIMIT - 1 - (this.#requests.length % RATE_LIMIT)),
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-used": String(1 + (this.#requests.length % RATE_LIMIT)),
      "x-ratelimit-resource": "core",
      ...answer.headers,
    };
    const recorded: RecordedRequest = {
      method,
      path: pathname,
      ...(operation ? { operationId: operation.operationId } : {}),
      status: answer.status,
      ...(raw.length > 0 ? { body: tryJson(raw) } : {}),
    };
    this.#requests.push(recorded);
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
    for (const listener of this.#listeners) listener(recorded);
  }

  #authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization ?? "";
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(header)?.[1];
    if (!token || !(this.#tokens.has(token) || this.#installationTokens.has(token))) {
      throw new HttpError(401, "Bad credentials");
    }
  }

  /** Checks an App JWT: RS256 over `header.payload` with the App's key, `iss` the App, not expired. */
  #authenticateApp(req: IncomingMessage): void {
    const jwt = /^bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const [header, payload, signature] = jwt.split(".");
    const app = this.#app;
    if (!app || !header || !payload || !signature) {
      throw new HttpError(401, "A JSON web token could not be decoded");
    }
    const valid = verify(
      "RSA-SHA256",
      Buffer.from(`${header}.${payload}`),
      app.publicKey,
      Buffer.from(signature, "base64url"),
    );
    const claims = tryJson(Buffer.from(payload, "base64url").toString("utf8")) as
      | { iss?: unknown; exp?: unknown }
      | undefined;
    const now = Math.floor(Date.now() / 1000);
    if (
      !valid ||
      String(claims?.iss) !== app.appId ||
      typeof claims?.exp !== "number" ||
      claims.exp < now
    ) {
      throw new HttpError(
        401,
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      );
    }
  }

  #scripted(operationId: string): Handled | undefined {
    const index = this.#scripts.findIndex(
      (s) => s.left > 0 && (s.script.operationId ?? operationId) === operationId,
    );
    if (index < 0) return undefined;
    const entry = this.#scripts[index] as { script: FailureScript; left: number };
    entry.left -= 1;
    if (entry.left === 0) this.#scripts.splice(index, 1);
    const failure = entry.script.failure;
    const now = Math.floor(Date.now() / 1000);
    switch (failure.kind) {
      case "primary-rate-limit":
        return {
          status: failure.status ?? 403,
          body: {
            message: "API rate limit exceeded for user ID 1.",
            documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`,
          },
          headers: {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": String(RATE_LIMIT),
            "x-ratelimit-reset": String(now + (failure.resetInSeconds ?? 60)),
          },
        };
      case "secondary-rate-limit":
        return {
          status: failure.status ?? 403,
          body: {
            message:
              "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
          },
          headers: { "retry-after": String(failure.retryAfterSeconds ?? 60) },
        };
      default:
        return errorAnswer(
          new HttpError(failure.status, failure.message ?? defaultMessage(failure.status)),
        );
    }
  }

  #checkRequest(
    operation: Operation,
    query: URLSearchParams,
    raw: string,
  ): Record<string, unknown> {
    const problems: string[] = [];
    for (const parameter of operation.parameters) {
      if (parameter.in !== "query") continue;
      const value = query.get(parameter.name);
      if (value === null) {
        if (parameter.required) problems.push(`query parameter ${parameter.name} is required`);
        continue;
      }
      const typed = coerce(value, parameter.schema);
      const errors = this.#validateValue(parameter.schema, typed);
      for (const e of errors) problems.push(`query parameter ${parameter.name}: ${e}`);
    }
    let body: unknown;
    if (raw.trim().length > 0) {
      body = tryJson(raw);
      if (body === undefined) {
        this.#problems.push(`${operation.operationId}: body is not JSON`);
        throw new HttpError(400, "Problems parsing JSON");
      }
    }
    if (operation.requestBodyPointer) {
      if (body === undefined && operation.requestBodyRequired) {
        problems.push("a JSON body is required");
      } else if (body !== undefined) {
        for (const e of this.#description.validate(operation.requestBodyPointer, body)) {
          problems.push(`body ${e}`);
        }
      }
    }
    if (problems.length > 0) {
      this.#problems.push(`${operation.operationId}: invalid request: ${problems.join("; ")}`);
      throw new HttpError(422, `Invalid request.\n\n${problems.join("\n")}`);
    }
    return (body ?? {}) as Record<string, unknown>;
  }

  #validateValue(schema: Record<string, unknown>, value: unknown): string[] {
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
      return [`must be one of ${schema.enum.join(", ")}`];
    }
    if ((schema.type === "integer" || schema.type === "number") && Number.isNaN(value)) {
      return ["must be a number"];
    }
    return [];
  }

  #checkResponse(operation: Operation, answer: Handled): void {
    const pointer = operation.responsePointers.get(answer.status);
    if (!pointer) {
      // GitHub documents the errors it usually sends, not all of them (401 is on every route).
      if (answer.status < 400) {
        this.#problems.push(
          `${operation.operationId}: status ${answer.status} is not in the description`,
        );
      }
      return;
    }
    const errors = this.#description.validate(pointer, answer.body);
    if (errors.length > 0) {
      this.#problems.push(
        `${operation.operationId}: the test server's ${answer.status} answer breaks the description: ${errors.slice(0, 5).join("; ")}`,
      );
    }
  }

  #build(schemaName: string, overlay: unknown): unknown {
    return merge(
      synthesize(this.#description, { $ref: `#/components/schemas/${schemaName}` }),
      overlay,
    );
  }

  #repoJson(): unknown {
    const r = this.repository;
    return this.#build("repository", {
      id: 1,
      name: r.name,
      full_name: r.fullName,
      owner: this.#userJson(r.owner),
      private: true,
      html_url: `${HTML_BASE}/${r.fullName}`,
      url: `${this.#url}/repos/${r.fullName}`,
      default_branch: r.defaultBranch,
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      pushed_at: "2026-01-01T00:00:00Z",
    });
  }

  #userJson(login: string): unknown {
    return this.#build("simple-user", {
      login,
      id: 1,
      type: "Organization",
      html_url: `${HTML_BASE}/${login}`,
      url: `${this.#url}/users/${login}`,
    });
  }

  #refJson(branch: string, sha: string): unknown {
    const r = this.repository;
    return {
      ref: `refs/heads/${branch}`,
      node_id: `REF_${branch}`,
      url: `${this.#url}/repos/${r.fullName}/git/refs/heads/${branch}`,
      object: { type: "commit", sha, url: `${this.#url}/repos/${r.fullName}/git/commits/${sha}` },
    };
  }

  #pullJson(pull: PullRequest, schemaName: "pull-request" | "pull-request-simple"): unknown {
    const r = this.repository;
    const api = `${this.#url}/repos/${r.fullName}`;
    const side = (ref: string, sha: string) => ({
      label: `${r.owner}:${ref}`,
      ref,
      sha,
      user: this.#userJson(r.owner),
      repo: this.#repoJson(),
    });
    return this.#build(schemaName, {
      url: `${api}/pulls/${pull.number}`,
      id: 100_000 + pull.number,
      node_id: `PR_${pull.number}`,
      html_url: `${HTML_BASE}/${r.fullName}/pull/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      body: pull.body,
      user: this.#userJson("patinox-bot"),
      labels: pull.labels.map((name) => this.#labelJson(name)),
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      head: side(pull.head, r.headSha(pull)),
      base: side(pull.base, r.branchSha(pull.base) ?? "0".repeat(40)),
      draft: false,
      ...(schemaName === "pull-request"
        ? {
            merged: pull.merged,
            mergeable: pull.state === "open",
            comments: pull.comments.length,
          }
        : {}),
    });
  }

  #labelJson(name: string): unknown {
    return this.#build("label", {
      id: hashInt(name),
      node_id: `LA_${name}`,
      url: `${this.#url}/repos/${this.repository.fullName}/labels/${encodeURIComponent(name)}`,
      name,
      // \`pull-request-simple\` documents a label's description as a plain string.
      description: "",
      color: "ededed",
      default: false,
    });
  }

  #commentJson(pull: PullRequest, comment: { id: number; body: string; createdAt: string }) {
    const r = this.repository;
    return this.#build("issue-comment", {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${this.#url}/repos/${r.fullName}/issues/comments/${comment.id}`,
      html_url: `${HTML_BASE}/${r.fullName}/pull/${pull.number}#issuecomment-${comment.id}`,
      issue_url: `${this.#url}/repos/${r.fullName}/issues/${pull.number}`,
      body: comment.body,
      user: this.#userJson("patinox-bot"),
      created_at: comment.createdAt,
      updated_at: comment.createdAt,
      author_association: "NONE",
    });
  }

  #fileJson(path: string, content: string, ref: string): unknown {
    const r = this.repository;
    const sha = blobSha(content);
    const url = `${this.#url}/repos/${r.fullName}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    return {
      type: "file",
      encoding: "base64",
      size: Buffer.byteLength(content),
      name: path.split("/").pop() ?? path,
      path,
      content: Buffer.from(content, "utf8").toString("base64"),
      sha,
      url,
      git_url: `${this.#url}/repos/${r.fullName}/git/blobs/${sha}`,
      html_url: `${HTML_BASE}/${r.fullName}/blob/${ref}/${path}`,
      download_url: `${HTML_BASE}/raw/${r.fullName}/${ref}/${path}`,
      _links: {
        self: url,
        git: `${this.#url}/repos/${r.fullName}/git/blobs/${sha}`,
        html: `${HTML_BASE}/${r.fullName}/blob/${ref}/${path}`,
      },
    };
  }

  #checkRepo(params: Readonly<Record<string, string>>): void {
    const r = this.repository;
    if (
      params.owner?.toLowerCase() !== r.owner.toLowerCase() ||
      params.repo?.toLowerCase() !== r.name.toLowerCase()
    ) {
      throw new HttpError(404, "Not Found");
    }
  }

  #pullOf(params: Readonly<Record<string, string>>, key: string): PullRequest {
    const pull = this.repository.pull(Number(params[key]));
    if (!pull) throw new HttpError(404, "Not Found");
    return pull;
  }

  #createHandlers(): Map<string, Handler> {
    const r = this.repository;
    const handlers: Record<string, Handler> = {
      "apps/create-installation-access-token": ({ params }) => {
        if (Number(params.installation_id) !== this.#app?.installationId) {
          throw new HttpError(404, "Not Found");
        }
        const token = `ghs_${randomUUID().replaceAll("-", "")}`;
        this.#installationTokens.add(token);
        return {
          status: 201,
          body: this.#build("installation-token", {
            token,
            expires_at: new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
            permissions: { contents: "write", pull_requests: "write", issues: "write" },
            repository_selection: "selected",
          }),
        };
      },
      "repos/get": ({ params }) => {
        this.#checkRepo(params);
        return { status: 200, body: this.#build("full-repository", this.#repoJson()) };
      },
      "git/get-ref": ({ params }) => {
        this.#checkRepo(params);
        const branch = String(params.ref).replace(/^heads\//, "");
        const sha = params.ref?.startsWith("heads/") ? r.branchSha(branch) : undefined;
        if (sha === undefined) throw new HttpError(404, "Not Found");
        return { status: 200, body: this.#refJson(branch, sha) };
      },
      "git/create-ref": ({ params, body }) => {
        this.#checkRepo(params);
        const ref = String(body.ref);
        if (!/^refs\/heads\/.+/.test(ref)) {
          throw new HttpError(
            422,
            "Reference name must start with 'refs/' and have at least two slashes.",
          );
        }
        const branch = ref.slice("refs/heads/".length);
        r.createBranch(branch, String(body.sha));
        return { status: 201, body: this.#refJson(branch, String(body.sha)) };
      },
      "git/update-ref": ({ params, body }) => {
        this.#checkRepo(params);
        const branch = String(params.ref).replace(/^heads\//, "");
        r.updateBranch(branch, String(body.sha), body.force === true);
        return { status: 200, body: this.#refJson(branch, String(body.sha)) };
      },
      "git/delete-ref": ({ params }) => {
        this.#checkRepo(params);
        r.deleteBranch(String(params.ref).replace(/^heads\//, ""));
        return { status: 204 };
      },
      "repos/get-content": ({ params, query }) => {
        this.#checkRepo(params);
        const ref = query.get("ref") ?? r.defaultBranch;
        const path = String(params.path);
        const content = r.readFile(ref, path);
        if (content === undefined) throw new HttpError(404, "Not Found");
        return { status: 200, body: this.#fileJson(path, content, ref) };
      },
      "repos/create-or-update-file-contents": ({ params, body }) => {
        this.#checkRepo(params);
        const branch = typeof body.branch === "string" ? body.branch : r.defaultBranch;
        const path = String(params.path);
        if (r.branchSha(branch) === undefined)
          throw new HttpError(404, `Branch ${branch} not found`);
        const current = r.readFile(branch, path);
        if (current !== undefined) {
          if (typeof body.sha !== "string") {
            throw new HttpError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
          }
          if (body.sha !== blobSha(current)) {
            throw new HttpError(409, `${path} does not match ${body.sha}`);
          }
        }
        const content = Buffer.from(String(body.content), "base64").toString("utf8");
        const commit = r.writeFile(branch, path, content, String(body.message));
        return {
          status: current === undefined ? 201 : 200,
          body: this.#build("file-commit", {
            content: this.#fileJson(path, content, branch),
            commit: {
              sha: commit.sha,
              node_id: `C_${commit.sha}`,
              url: `${this.#url}/repos/${r.fullName}/git/commits/${commit.sha}`,
              html_url: `${HTML_BASE}/${r.fullName}/commit/${commit.sha}`,
              message: commit.message,
              parents: commit.parents.map((sha) => ({
                sha,
                url: `${this.#url}/repos/${r.fullName}/git/commits/${sha}`,
                html_url: `${HTML_BASE}/${r.fullName}/commit/${sha}`,
              })),
            },
          }),
        };
      },
      "pulls/list": ({ params, query }) => {
        this.#checkRepo(params);
        const state = query.get("state") ?? "open";
        const head = query.get("head");
        const base = query.get("base");
        const perPage = Math.min(100, Number(query.get("per_page") ?? 30));
        const page = Math.max(1, Number(query.get("page") ?? 1));
        const matching = r
          .pulls()
          .filter((p) => state === "all" || p.state === state)
          .filter((p) => head === null || `${r.owner}:${p.head}` === head || p.head === head)
          .filter((p) => base === null || p.base === base)
          .sort((a, b) =>
            query.get("direction") === "asc" ? a.number - b.number : b.number - a.number,
          );
        const slice = matching.slice((page - 1) * perPage, page * perPage);
        return { status: 200, body: slice.map((p) => this.#pullJson(p, "pull-request-simple")) };
      },
      "pulls/create": ({ params, body }) => {
        this.#checkRepo(params);
        const head = String(body.head).replace(new RegExp(`^${r.owner}:`, "i"), "");
        if (typeof body.title !== "string") {
          throw new HttpError(422, "Validation Failed", [
            { resource: "PullRequest", field: "title", code: "missing_field" },
          ]);
        }
        const pull = r.openPull(
          body.title,
          head,
          String(body.base),
          typeof body.body === "string" ? body.body : null,
        );
        return {
          status: 201,
          body: this.#pullJson(pull, "pull-request"),
          headers: { location: `${this.#url}/repos/${r.fullName}/pulls/${pull.number}` },
        };
      },
      "pulls/get": ({ params }) => {
        this.#checkRepo(params);
        return {
          status: 200,
          body: this.#pullJson(this.#pullOf(params, "pull_number"), "pull-request"),
        };
      },
      "pulls/update": ({ params, body }) => {
        this.#checkRepo(params);
        const pull = this.#pullOf(params, "pull_number");
        if (typeof body.title === "string") pull.title = body.title;
        if (typeof body.body === "string") pull.body = body.body;
        if (typeof body.base === "string") pull.base = body.base;
        if (body.state === "closed") r.close(pull.number);
        if (body.state === "open" && pull.state === "closed") r.reopen(pull.number);
        pull.updatedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
        return { status: 200, body: this.#pullJson(pull, "pull-request") };
      },
      "issues/add-labels": ({ params, body }) => {
        this.#checkRepo(params);
        const pull = this.#pullOf(params, "issue_number");
        const labels = (Array.isArray(body.labels) ? body.labels : []).map((l: unknown) =>
          typeof l === "string" ? l : String((l as { name: unknown }).name),
        );
        for (const label of labels) if (!pull.labels.includes(label)) pull.labels.push(label);
        return { status: 200, body: pull.labels.map((name) => this.#labelJson(name)) };
      },
      "issues/create-comment": ({ params, body }) => {
        this.#checkRepo(params);
        const pull = this.#pullOf(params, "issue_number");
        const comment = r.addComment(pull, String(body.body));
        return { status: 201, body: this.#commentJson(pull, comment) };
      },
      "issues/list-comments": ({ params }) => {
        this.#checkRepo(params);
        const pull = this.#pullOf(params, "issue_number");
        return { status: 200, body: pull.comments.map((c) => this.#commentJson(pull, c)) };
      },
    };
    return new Map(Object.entries(handlers));
  }

  async #deliver(action: string, pull: PullRequest): Promise<void> {
    const webhook = this.#webhook;
    if (!webhook) return;
    const payload = JSON.stringify({
      action,
      number: pull.number,
      pull_request: this.#pullJson(pull, "pull-request"),
      repository: this.#repoJson(),
    });
    const signature = `sha256=${createHmac("sha256", webhook.secret).update(payload).digest("hex")}`;
    const delivery = fetch(webhook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": randomUUID(),
        "x-hub-signature-256": signature,
      },
      body: payload,
    })
      .then(async (res) => {
        await res.arrayBuffer();
        if (!res.ok) this.#problems.push(`webhook delivery answered ${res.status}`);
      })
      .catch((error: unknown) => {
        this.#problems.push(`webhook delivery failed: ${String(error)}`);
      });
    this.#deliveries.push(delivery);
    await delivery;
  }
}

function errorAnswer(error: unknown): Handled {
  if (error instanceof HttpError || error instanceof RepositoryError) {
    const errors = error instanceof HttpError ? error.errors : undefined;
    return {
      status: error.status,
      body: {
        message: error.message,
        documentation_url: DOCS,
        ...(errors ? { errors } : {}),
        status: String(error.status),
      },
    };
  }
  throw error;
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401:
      return "Bad credentials";
    case 403:
      return "Resource not accessible by integration";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 422:
      return "Validation Failed";
    default:
      return "Server Error";
  }
}

function coerce(value: string, schema: Record<string, unknown>): unknown {
  if (schema.type === "integer" || schema.type === "number") return Number(value);
  if (schema.type === "boolean") return value === "true";
  return value;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function hashInt(text: string): number {
  let h = 7;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) % 1_000_000_007;
  return h;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
