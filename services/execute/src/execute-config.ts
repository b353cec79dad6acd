import { NameToken } from "@patinox/contracts";
import { env, Secret } from "@patinox/runtime";
import { z } from "zod";
import { resilienceConfigShape } from "./resilience-config.ts";

/** The name of the provider configured by `OPENAI_API_KEY` / `OPENAI_BASE_URL`. */
export const DEFAULT_PROVIDER = "openai";

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

const httpUrl = () =>
  z
    .string()
    .refine(isHttpUrl, { error: "expected an http(s) URL such as https://api.openai.com/v1" });

/** One named provider of `PATINOX_PROVIDERS`; the key and header values become {@link Secret}s. */
const ProviderSettings = z.strictObject({
  baseURL: httpUrl(),
  apiKey: z
    .string()
    .min(1)
    .transform((key) => new Secret(key))
    .optional(),
  // Header values are secrets too: gateways put credentials there (`api-key`, `x-api-key`).
  headers: z
    .record(
      z.string().min(1),
      z.string().transform((value) => new Secret(value)),
    )
    .optional(),
});

/** A named OpenAI-compatible provider, as parsed from `PATINOX_PROVIDERS`. */
export type ProviderSettings = z.output<typeof ProviderSettings>;

const Providers = z
  .record(NameToken, ProviderSettings)
  .refine((providers) => !Object.hasOwn(providers, DEFAULT_PROVIDER), {
    error: `"${DEFAULT_PROVIDER}" is the provider of OPENAI_API_KEY/OPENAI_BASE_URL; pick another name`,
  });

/** Price of one model, in US dollars per million tokens. */
const ModelPrice = z.strictObject({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
});

/** Price of one model, in US dollars per million tokens. */
export type ModelPrice = z.output<typeof ModelPrice>;

/**
 * Execute's own environment variables, parsed once at start with the runtime's (documented in
 * `services/execute/README.md`). Blank means unset.
 */
export const ExecuteConfigSchema = z.object({
  /** The default provider's API key. */
  OPENAI_API_KEY: env.secret().optional(),
  /** The default provider's endpoint. @default https://api.openai.com/v1 when only the key is set */
  OPENAI_BASE_URL: httpUrl().optional(),
  /** Further providers by name: `{ "<name>": { "baseURL", "apiKey"?, "headers"? } }`. */
  PATINOX_PROVIDERS: env
    .json(
      Providers,
      'an object of providers by name, e.g. {"local":{"baseURL":"http://127.0.0.1:11434/v1"}}',
    )
    .optional(),
  /** Prices by model name: `{ "<model>": { "inputPerMTok", "outputPerMTok" } }`. */
  PATINOX_MODEL_PRICES: env
    .json(
      z.record(z.string().min(1), ModelPrice),
      'an object of prices by model, e.g. {"gpt-4o-mini":{"inputPerMTok":0.15,"outputPerMTok":0.6}}',
    )
    .optional(),
  /** Rate-limit leases, token-budget refresh, circuit breakers, 429 retries (resilience-config.ts). */
  ...resilienceConfigShape,
  /** Durable jobs this replica runs at once. @default 16 */
  PATINOX_JOB_CONCURRENCY: env.int(1, 10_000).default(16),
  /** How long a job may go without a heartbeat before JetStream redelivers it. @default 60000 */
  PATINOX_JOB_ACK_WAIT_MS: env.int(1_000, 3_600_000).default(60_000),
  /** How long job results are kept in the results stream. @default 86400000 (1 day) */
  PATINOX_RESULTS_MAX_AGE_MS: env.int(60_000, 365 * 86_400_000).default(86_400_000),
});

/** Execute's parsed configuration. */
export type ExecuteConfig = z.output<typeof ExecuteConfigSchema>;
