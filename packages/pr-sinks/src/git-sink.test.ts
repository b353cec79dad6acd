import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PatinoxError, Result } from "@patinox/contracts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeRequest } from "./change-sink.ts";
import { GitSink } from "./git-sink.ts";

let dir: string;
const git = (...args: string[]) =>
  execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "git-sink-test-"));
  git("init", "-q", "-b", "main");
  await writeFile(join(dir, "support.yaml"), "# keep\ntimeoutMs: 5000\n");
  git("add", "support.yaml");
  git("commit", "-q", "-m", "init");
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function request(branch = "patinox/support/x"): ChangeRequest {
  return {
    branch,
    path: "support.yaml",
    title: "t",
    body: "the body",
    labels: ["patinox"],
    commitMessage: "support: raise timeout",
    edit: (text): Result<string, PatinoxError> => ({
      ok: true,
      value: text.replace("5000", "10000"),
    }),
  };
}

describe("GitSink", () => {
  it("makes one branch and commit without touching the working tree, and finds it again", async () => {
    const sink = new GitSink({ repository: dir, baseBranch: "main" });
    const results = await Promise.all([
      sink.propose(request()),
      sink.propose(request()),
      sink.propose(request()),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.ref.commit)).size).toBe(1);
    expect(git("show", "patinox/support/x:support.yaml")).toBe("# keep\ntimeoutMs: 10000\n");
    expect(git("log", "-1", "--format=%s", "patinox/support/x").trim()).toBe(
      "support: raise timeout",
    );
    expect(await readFile(join(dir, "support.yaml"), "utf8")).toBe("# keep\ntimeoutMs: 5000\n");
    expect(git("status", "--porcelain")).toBe("");
    expect(await sink.body(results[0]?.ref ?? { sink: "git", branch: "x" })).toBe(
      "the body\n\nLabels: patinox",
    );
  });

  it("sees a merge, updates the body, closes, and reads the base", async () => {
    const sink = new GitSink({ repository: dir, baseBranch: "main" });
    const { ref } = await sink.propose(request());
    await sink.updateBody(ref, "new evidence");
    expect(await sink.body(ref)).toBe("new evidence\n\nLabels: patinox");
    git("merge", "-q", "--no-ff", "-m", "merge", "patinox/support/x");
    expect(await sink.find(ref.branch)).toMatchObject({ state: "merged" });
    expect(await sink.readBase("support.yaml")).toBe("# keep\ntimeoutMs: 10000\n");

    const other = await sink.propose({
      ...request("patinox/support/y"),
      edit: (t) => ({ ok: true, value: `${t}# y\n` }),
    });
    await sink.close(other.ref, "resolved");
    expect(await sink.find("patinox/support/y")).toMatchObject({ state: "closed" });
    expect(git("branch", "--list", "patinox/support/y")).toBe("");
    // Proposing the closed branch again finds it closed: a closed proposal is not reopened.
    expect(await sink.propose(request("patinox/support/y"))).toMatchObject({
      state: "closed",
      created: false,
    });
  });

  it("reads a branch a person deleted as closed", async () => {
    const sink = new GitSink({ repository: dir, baseBranch: "main" });
    await sink.propose(request());
    git("branch", "-D", "patinox/support/x");
    expect(await sink.find("patinox/support/x")).toMatchObject({ state: "closed" });
  });
});
