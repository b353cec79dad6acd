import { env, type Secret } from "@patinox/runtime";
import { z } from "zod";

const HOUR_MS = 3_600_000;

const ModelCandidate = z.strictObject({
  name: z.string().min(1).max(200),
  provider: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .optional(),
  speedRank: z.number().optional(),
});

const httpUrl = () =>
  z.string().refine(
    (v) => {
      try {
        return ["http:", "https:"].includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { error: "expected an http(s) URL such as https://github.example.com/api/v3" },
  );

/**
 * Plan's own environment variables, parsed once at start together with the runtime's
 * (documented in services/plan/README.md). Blank means unset.
 */
export const PlanConfigSchema = z
  .object({
    /** Where plans become proposals: `github`, `git` (a local repository) or `none` (plans only). */
    PATINOX_PLAN_SINK: env.oneOf(["github", "git", "none"]).default("none"),
    /** `owner/repo` of the behaviour repository (sink `github`). */
    PATINOX_PLAN_GITHUB_REPO: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: "expected owner/repo" })
      .optional(),
    /** A token allowed to push branches and open pull requests (contents + pull requests: write). */
    GITHUB_TOKEN: env.secret().optional(),
    /** GitHub App auth instead of a token: the App's id, private key (PEM) and installation. */
    GITHUB_APP_ID: z.string().regex(/^\d+$/, { error: "expected the App's numeric id" }).optional(),
    GITHUB_APP_PRIVATE_KEY: env.secret().optional(),
    GITHUB_APP_INSTALLATION_ID: env.int(1, Number.MAX_SAFE_INTEGER).optional(),
    /** The API URL: `https://<host>/api/v3` for GitHub Enterprise Server. */
    GITHUB_API_URL: httpUrl().optional(),
    /** Path of the local repository (sink `git`). */
    PATINOX_PLAN_GIT_REPO: z.string().min(1).optional(),
    /** The branch proposals are made against. */
    PATINOX_PLAN_BASE_BRANCH: z.string().min(1).max(255).default("main"),
    /** Folder of the agent files in the repository (`<path>/<agent>.yaml`). */
    PATINOX_PLAN_AGENTS_PATH: z
      .string()
      .max(500)
      .default("agents")
      .transform((p) => p.replace(/^\/+|\/+$/g, "")),
    /** Labels put on every pull request. */
    PATINOX_PLAN_LABELS: env.list().default(["patinox"]),
    /** Trace links in pull request bodies: `{traceId}` is replaced (e.g. `https://jaeger/trace/{traceId}`). */
    PATINOX_PLAN_TRACE_URL: z
      .string()
      .refine((v) => v.includes("{traceId}"), { error: "expected a URL with {traceId} in it" })
      .optional(),
    /** Whether Plan applies a merged definition to the knowledge bucket itself. */
    PATINOX_PLAN_APPLY_ON_MERGE: env.bool().default(false),
    /** Full reconcile of findings against plans. */
    PATINOX_PLAN_RECONCILE_MS: env.int(200, 24 * HOUR_MS).default(60_000),
    /** How often open pull requests (and merged, unverified plans) are polled. */
    PATINOX_PLAN_POLL_MS: env.int(200, 24 * HOUR_MS).default(30_000),
    /** Port of the webhook endpoint (`POST /webhooks/github`); 0 leaves it off. */
    PATINOX_PLAN_WEBHOOK_PORT: env.int(0, 65_535).default(0),
    /** Secret GitHub signs webhooks with (`X-Hub-Signature-256`); required with a webhook port. */
    PATINOX_PLAN_WEBHOOK_SECRET: env.secret().optional(),
    /** Open pull requests per agent and finding kind. */
    PATINOX_PLAN_MAX_OPEN_PRS: env.int(1, 1000).default(3),
    /** Pull requests opened per hour per finding kind (all agents). */
    PATINOX_PLAN_MAX_PRS_PER_HOUR: env.int(1, 10_000).default(10),
    /** First retry delay of a failed plan; doubles per failure up to the max. */
    PATINOX_PLAN_RETRY_BASE_MS: env.int(100, HOUR_MS).default(5_000),
    PATINOX_PLAN_RETRY_MAX_MS: env.int(100, 24 * HOUR_MS).default(600_000),
    /** Models planners may add as fallbacks or move to: `[{"name","provider"?,"speedRank"?}]`. */
    PATINOX_PLAN_MODELS: env
      .json(
        z.array(ModelCandidate).max(50),
        'a list of models, e.g. [{"name":"gpt-4o-mini","provider":"openai","speedRank":1}]',
      )
      .default([]),
    /**
     * The model of the LLM planner (instruction changes for findings no rule covers, only where
     * the agent's policy allows `instructions`); off when unset.
     */
    PATINOX_PLAN_LLM_MODEL: z.string().min(1).max(200).optional(),
    /** Its OpenAI-compatible endpoint. @default https://api.openai.com/v1 */
    PATINOX_PLAN_LLM_BASE_URL: httpUrl().optional(),
    /** Its API key (secret); `OPENAI_API_KEY` when unset. */
    PATINOX_PLAN_LLM_API_KEY: env.secret().optional(),
    OPENAI_API_KEY: env.secret().optional(),
    /** The durable consumer of finding events. */
    PATINOX_PLAN_CONSUMER: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "expected 1-64 letters, digits, _ or -" })
      .default("plan"),
    /** How long the server waits for an ack of a finding event before redelivering. */
    PATINOX_PLAN_ACK_WAIT_MS: env.int(1_000, HOUR_MS).default(60_000),
    /** Replicas of the events and dead-letter streams when Plan creates them. */
    PATINOX_STREAM_REPLICAS: env.int(1, 5).default(1),
    /** Longest GitHub rate-limit wait the client sits out before the plan fails and retries later. */
    PATINOX_PLAN_GITHUB_MAX_WAIT_MS: env.int(0, HOUR_MS).default(60_000),
    /** Least time between GitHub writes (GitHub asks for one a second); lower only for a test server. */
    PATINOX_PLAN_GITHUB_WRITE_INTERVAL_MS: env.int(0, 60_000).default(1_000),
  })
  .superRefine((c, ctx) => {
    const need = (variable: string, why: string) =>
      ctx.addIssue({ code: "custom", path: [variable], message: `required: ${why}` });
    if (c.PATINOX_PLAN_SINK === "github") {
      if (!c.PATINOX_PLAN_GITHUB_REPO)
        need("PATINOX_PLAN_GITHUB_REPO", "owner/repo for sink github");
      const app = c.GITHUB_APP_ID || c.GITHUB_APP_PRIVATE_KEY || c.GITHUB_APP_INSTALLATION_ID;
      if (!c.GITHUB_TOKEN && !app)
        need(
          "GITHUB_TOKEN",
          "a token, or GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY and GITHUB_APP_INSTALLATION_ID",
        );
      if (!c.GITHUB_TOKEN && app) {
        if (!c.GITHUB_APP_ID) need("GITHUB_APP_ID", "with GitHub App auth");
        if (!c.GITHUB_APP_PRIVATE_KEY) need("GITHUB_APP_PRIVATE_KEY", "with GitHub App auth");
        if (!c.GITHUB_APP_INSTALLATION_ID)
          need("GITHUB_APP_INSTALLATION_ID", "with GitHub App auth");
      }
    }
    if (c.PATINOX_PLAN_SINK === "git" && !c.PATINOX_PLAN_GIT_REPO) {
      need("PATINOX_PLAN_GIT_REPO", "the local repository for sink git");
    }
    if (c.PATINOX_PLAN_WEBHOOK_PORT > 0 && !c.PATINOX_PLAN_WEBHOOK_SECRET) {
      need("PATINOX_PLAN_WEBHOOK_SECRET", "webhooks are only taken signed");
    }
  });

/** Plan's parsed configuration. */
export type PlanConfig = z.output<typeof PlanConfigSchema>;

/** Secrets are wrapped; this keeps the type visible to callers that reveal them at use. */
export type { Secret };
