import { generateKeyPairSync } from "node:crypto";
import { PatinoxError, type Result } from "@patinox/contracts";
import { GitHubServer } from "@patinox/github-testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeRequest } from "./change-sink.ts";
import { GitHubSink } from "./github-sink.ts";

const TOKEN = "ghp_secret-token-value";
let github: GitHubServer;

beforeEach(async () => {
  github = await GitHubServer.start({
    owner: "acme",
    repo: "behaviour",
    tokens: [TOKEN],
    files: { "agents/support.yaml": "# keep me\ntimeoutMs: 5000\n" },
  });
});
afterEach(async () => {
  await github.stop();
});

function sink(token = TOKEN): GitHubSink {
  return new GitHubSink({
    owner: "acme",
    repo: "behaviour",
    baseBranch: "main",
    baseUrl: github.url,
    auth: { kind: "token", token },
    maxRateLimitWaitMs: 0,
    minWriteIntervalMs: 0,
    serverErrorRetries: 0,
  });
}

function request(branch = "patinox/support/tool_timeouts-fp1"): ChangeRequest {
  return {
    branch,
    path: "agents/support.yaml",
    title: "support: raise timeout",
    body: "evidence",
    labels: ["patinox", "agent:support"],
    commitMessage: "support: raise timeout",
    edit: (text): Result<string, PatinoxError> => ({
      ok: true,
      value: text.replace("5000", "10000"),
    }),
  };
}

describe("GitHubSink", () => {
  it("opens one pull request with the edited file and labels, and finds it again", async () => {
    const first = await sink().propose(request());
    expect(first).toMatchObject({
      created: true,
      state: "open",
      ref: { sink: "github", number: 1 },
    });
    const again = await sink().propose(request());
    expect(again).toMatchObject({ created: false, state: "open", ref: { number: 1 } });
    expect(github.repository.pulls()).toHaveLength(1);
    expect(
      github.repository.readFile("patinox/support/tool_timeouts-fp1", "agents/support.yaml"),
    ).toBe("# keep me\ntimeoutMs: 10000\n");
    expect(github.repository.pulls()[0]?.labels).toEqual(["patinox", "agent:support"]);
    expect(github.problems()).toEqual([]);
  });

  it("two proposers racing open one pull request", async () => {
    const results = await Promise.all([
      sink().propose(request()),
      sink().propose(request()),
      sink().propose(request()),
    ]);
    expect(new Set(results.map((r) => r.ref.number))).toEqual(new Set([1]));
    expect(github.repository.pulls()).toHaveLength(1);
    expect(github.problems()).toEqual([]);
  });

  it("picks up a branch left by a crash before the pull request", async () => {
    const base = github.repository.branchSha("main") as string;
    github.repository.createBranch("patinox/support/tool_timeouts-fp1", base);
    const result = await sink().propose(request());
    expect(result.created).toBe(true);
    expect(github.repository.pulls()).toHaveLength(1);
  });

  it("updates the body, reports merges, closes with a comment, reads the base", async () => {
    const s = sink();
    const { ref } = await s.propose(request());
    await s.updateBody(ref, "new evidence");
    expect(github.repository.pull(1)?.body).toBe("new evidence");
    await github.merge(1);
    expect(await s.find(ref.branch)).toMatchObject({ state: "merged" });
    expect(await s.readBase("agents/support.yaml")).toBe("# keep me\ntimeoutMs: 10000\n");

    const other = await s.propose({
      ...request("patinox/support/other"),
      edit: (text) => ({ ok: true, value: `${text}# more\n` }),
    });
    // A merged change is on main now; the other branch edits the same text again.
    expect(other.state).toBe("open");
    await s.close(other.ref, "resolved before merge");
    expect(github.repository.pull(other.ref.number as number)).toMatchObject({ state: "closed" });
    expect(github.repository.pull(other.ref.number as number)?.comments[0]?.body).toBe(
      "resolved before merge",
    );
    expect(await s.find("patinox/support/other")).toMatchObject({ state: "closed" });
  });

  it.each([
    [{ kind: "status", status: 422 } as const, "config_invalid"],
    [{ kind: "status", status: 404 } as const, "not_found"],
    [{ kind: "status", status: 403 } as const, "permission_denied"],
    [{ kind: "primary-rate-limit", resetInSeconds: 120 } as const, "rate_limited"],
    [{ kind: "secondary-rate-limit", retryAfterSeconds: 90 } as const, "rate_limited"],
    [{ kind: "primary-rate-limit", resetInSeconds: 120, status: 429 } as const, "rate_limited"],
    [{ kind: "secondary-rate-limit", retryAfterSeconds: 90, status: 429 } as const, "rate_limited"],
  ])("turns %o on pulls/create into %s, without the token", async (failure, code) => {
    github.failNext({ operationId: "pulls/create", failure });
    const error = await sink()
      .propose(request())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PatinoxError);
    expect((error as PatinoxError).code).toBe(code);
    if (code === "rate_limited")
      expect((error as PatinoxError).retryAfterMs).toBeGreaterThan(10_000);
    expect(
      JSON.stringify({ m: (error as Error).message, d: (error as PatinoxError).details }),
    ).not.toContain(TOKEN);
    // Retrying later finishes the job with one pull request.
    await sink().propose(request());
    expect(github.repository.pulls()).toHaveLength(1);
  });

  it("turns bad credentials into permission_denied", async () => {
    const error = await sink("wrong")
      .propose(request())
      .catch((e: unknown) => e);
    expect((error as PatinoxError).code).toBe("permission_denied");
    expect((error as Error).message).not.toContain("wrong");
  });

  it("refuses an edit that fails, pushing nothing", async () => {
    const failing: ChangeRequest = {
      ...request(),
      edit: () => ({ ok: false, error: new PatinoxError("config_invalid", "bad") }),
    };
    await expect(sink().propose(failing)).rejects.toMatchObject({ code: "config_invalid" });
    expect(github.repository.branches().size).toBe(1);
  });

  it("authenticates as a GitHub App installation", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const appServer = await GitHubServer.start({
      owner: "acme",
      repo: "behaviour",
      files: { "agents/support.yaml": "# keep me\ntimeoutMs: 5000\n" },
      app: {
        appId: "99",
        publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
        installationId: 5,
      },
    });
    try {
      const appSink = new GitHubSink({
        owner: "acme",
        repo: "behaviour",
        baseBranch: "main",
        baseUrl: appServer.url,
        auth: {
          kind: "app",
          appId: "99",
          privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
          installationId: 5,
        },
        minWriteIntervalMs: 0,
      });
      await expect(appSink.propose(request())).resolves.toMatchObject({
        created: true,
        state: "open",
      });
      expect(appServer.repository.pulls()).toHaveLength(1);
      expect(appServer.problems()).toEqual([]);
    } finally {
      await appServer.stop();
    }
  });
});
