import { createHmac, generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { App, Octokit, RequestError } from "octokit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubServer } from "./github-server.ts";
import { blobSha } from "./repository.ts";

const owner = "acme";
const repo = "behaviour";
let github: GitHubServer;
let octokit: Octokit;

function client(token = "test-token"): Octokit {
  return new Octokit({
    auth: token,
    baseUrl: github.url,
    retry: { enabled: false },
    throttle: { enabled: false },
  });
}

beforeEach(async () => {
  github = await GitHubServer.start({
    owner,
    repo,
    files: { "agents/support.yaml": "# a comment\nname: support\n" },
  });
  octokit = client();
});

afterEach(async () => {
  await github.stop();
});

async function branchWithChange(branch: string, content: string): Promise<void> {
  const base = await octokit.rest.git.getRef({ owner, repo, ref: "heads/main" });
  await octokit.rest.git.createRef({
    owner,
    repo,
    ref: `refs/heads/${branch}`,
    sha: base.data.object.sha,
  });
  const file = await octokit.rest.repos.getContent({
    owner,
    repo,
    path: "agents/support.yaml",
    ref: branch,
  });
  const sha = (file.data as { sha: string }).sha;
  await octokit.rest.repos.createOrUpdateFileContents({
    owner,
    repo,
    path: "agents/support.yaml",
    branch,
    message: "change",
    sha,
    content: Buffer.from(content).toString("base64"),
  });
}

describe("GitHubServer", () => {
  it("serves the pull request flow through the real Octokit client, every answer within the description", async () => {
    await branchWithChange("patinox/support/x", "# a comment\nname: support\nv: 2\n");
    const created = await octokit.rest.pulls.create({
      owner,
      repo,
      head: "patinox/support/x",
      base: "main",
      title: "Raise timeout",
      body: "why",
    });
    expect(created.status).toBe(201);
    expect(created.data.head.ref).toBe("patinox/support/x");
    await octokit.rest.issues.addLabels({
      owner,
      repo,
      issue_number: created.data.number,
      labels: ["patinox"],
    });
    await octokit.rest.issues.createComment({
      owner,
      repo,
      issue_number: created.data.number,
      body: "hello",
    });
    const found = await octokit.rest.pulls.list({
      owner,
      repo,
      state: "all",
      head: `${owner}:patinox/support/x`,
    });
    expect(found.data.map((p) => p.number)).toEqual([created.data.number]);
    expect(found.data[0]?.labels.map((l) => l.name)).toEqual(["patinox"]);

    await github.merge(created.data.number);
    const merged = await octokit.rest.pulls.get({ owner, repo, pull_number: created.data.number });
    expect(merged.data.merged).toBe(true);
    expect(github.repository.readFile("main", "agents/support.yaml")).toContain("v: 2");
    expect(github.problems()).toEqual([]);
  });

  it("refuses a second open pull request for the same head, as GitHub does", async () => {
    await branchWithChange("b", "changed\n");
    await octokit.rest.pulls.create({ owner, repo, head: "b", base: "main", title: "one" });
    const second = octokit.rest.pulls.create({
      owner,
      repo,
      head: "b",
      base: "main",
      title: "two",
    });
    await expect(second).rejects.toMatchObject({ status: 422 });
    expect(github.repository.pulls()).toHaveLength(1);
  });

  it("refuses an existing branch and a stale file sha", async () => {
    await branchWithChange("b", "changed\n");
    const base = github.repository.branchSha("main") as string;
    await expect(
      octokit.rest.git.createRef({ owner, repo, ref: "refs/heads/b", sha: base }),
    ).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining("Reference already exists"),
    });
    await expect(
      octokit.rest.repos.createOrUpdateFileContents({
        owner,
        repo,
        path: "agents/support.yaml",
        branch: "b",
        message: "stale",
        sha: blobSha("# a comment\nname: support\n"),
        content: Buffer.from("x").toString("base64"),
      }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it("rejects a request the description does not allow with 422 and records the problem", async () => {
    await expect(
      octokit.request("POST /repos/{owner}/{repo}/pulls", {
        owner,
        repo,
        head: "b",
        // base and title missing
      } as never),
    ).rejects.toMatchObject({ status: 422 });
    expect(github.problems().join("\n")).toContain("pulls/create: invalid request");
  });

  it("answers an unknown route 404 and records it", async () => {
    await expect(
      octokit.request("GET /repos/{owner}/{repo}/nonsense", { owner, repo }),
    ).rejects.toMatchObject({
      status: 404,
    });
    expect(github.problems().join("\n")).toContain("no such operation");
  });

  it("answers bad credentials with 401", async () => {
    await expect(client("wrong").rest.repos.get({ owner, repo })).rejects.toMatchObject({
      status: 401,
    });
  });

  it("scripts failures per operation, with GitHub's rate limit headers", async () => {
    github.failNext({
      operationId: "repos/get",
      failure: { kind: "primary-rate-limit", resetInSeconds: 30 },
    });
    const primary = await octokit.rest.repos.get({ owner, repo }).catch((e: unknown) => e);
    expect(primary).toBeInstanceOf(RequestError);
    expect((primary as RequestError).status).toBe(403);
    expect((primary as RequestError).response?.headers["x-ratelimit-remaining"]).toBe("0");

    github.failNext({
      operationId: "repos/get",
      failure: { kind: "secondary-rate-limit", retryAfterSeconds: 7 },
    });
    const secondary = (await octokit.rest.repos
      .get({ owner, repo })
      .catch((e: unknown) => e)) as RequestError;
    expect(secondary.response?.headers["retry-after"]).toBe("7");
    expect(secondary.message).toMatch(/secondary rate limit/);

    github.failNext({ operationId: "pulls/create", failure: { kind: "status", status: 422 } });
    await expect(octokit.rest.repos.get({ owner, repo })).resolves.toMatchObject({ status: 200 });
  });

  it("lets Octokit's throttling plugin retry a secondary rate limit", async () => {
    let retried = 0;
    const throttled = new Octokit({
      auth: "test-token",
      baseUrl: github.url,
      throttle: {
        onRateLimit: () => false,
        onSecondaryRateLimit: (_after: number, _options: unknown, _o: unknown, count: number) => {
          retried++;
          return count < 1;
        },
      },
    });
    // Octokit reads `retry-after: 0` as absent (falling back to 60 s), so one second it is.
    github.failNext({
      operationId: "repos/get",
      failure: { kind: "secondary-rate-limit", retryAfterSeconds: 1 },
    });
    await expect(throttled.rest.repos.get({ owner, repo })).resolves.toMatchObject({ status: 200 });
    expect(retried).toBe(1);
  });

  it("serves under /api/v3 as GitHub Enterprise Server does", async () => {
    const ghes = new Octokit({ auth: "test-token", baseUrl: `${github.url}/api/v3` });
    await expect(ghes.rest.repos.get({ owner, repo })).resolves.toMatchObject({ status: 200 });
    expect(github.problems()).toEqual([]);
  });

  it("delivers signed pull_request webhooks on merge", async () => {
    const received: { signature: string; body: string }[] = [];
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({
          signature: String(req.headers["x-hub-signature-256"]),
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    const port = (hook.address() as AddressInfo).port;
    github.setWebhook({ url: `http://127.0.0.1:${port}/`, secret: "s3cret" });
    await branchWithChange("w", "changed\n");
    const pr = await octokit.rest.pulls.create({
      owner,
      repo,
      head: "w",
      base: "main",
      title: "t",
    });
    await github.merge(pr.data.number);
    hook.close();
    expect(received).toHaveLength(1);
    const [delivery] = received;
    const expected = `sha256=${createHmac("sha256", "s3cret")
      .update(delivery?.body ?? "")
      .digest("hex")}`;
    expect(delivery?.signature).toBe(expected);
    expect(JSON.parse(delivery?.body ?? "{}")).toMatchObject({
      action: "closed",
      pull_request: { merged: true },
    });
  });

  it("exchanges a GitHub App's JWT for an installation token, and refuses a JWT signed by another key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const appServer = await GitHubServer.start({
      owner,
      repo,
      app: {
        appId: "4242",
        publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
        installationId: 7,
      },
    });
    try {
      const app = new App({
        appId: "4242",
        privateKey: pem,
        Octokit: Octokit.defaults({ baseUrl: appServer.url }),
      });
      const installation = await app.getInstallationOctokit(7);
      await expect(installation.rest.repos.get({ owner, repo })).resolves.toMatchObject({
        status: 200,
      });

      const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
        .privateKey.export({ type: "pkcs8", format: "pem" })
        .toString();
      const impostor = new App({
        appId: "4242",
        privateKey: other,
        Octokit: Octokit.defaults({ baseUrl: appServer.url }),
      });
      const refused = await impostor.getInstallationOctokit(7);
      await expect(refused.rest.repos.get({ owner, repo })).rejects.toMatchObject({ status: 401 });
      expect(appServer.problems()).toEqual([]);
    } finally {
      await appServer.stop();
    }
  });
});
