import type { ModelConfig, ModelRef } from "@patinox/contracts";
import { PatinoxError } from "@patinox/contracts";
import OpenAI from "openai";
import { DEFAULT_PROVIDER, type ExecuteConfig, type ProviderSettings } from "./execute-config.ts";
import { ModelHttpClient } from "./model-http.ts";
import { SecretScrubber } from "./secret-scrubber.ts";

/** The public OpenAI endpoint, used when only `OPENAI_API_KEY` is set. */
const OPENAI_BASE_URL = "https://api.openai.com/v1";

/** One configured OpenAI-compatible endpoint and its client, created once. */
export interface ModelProvider {
  readonly name: string;
  readonly client: OpenAI;
  /** Removes this provider's credentials from text it sent back. */
  readonly scrubber: SecretScrubber;
}

/** A model at a provider: what one model call needs. */
export interface ModelTarget {
  readonly model: string;
  readonly provider: ModelProvider;
}

/** What a provider's client is built from. */
export interface ProviderOptions {
  readonly baseURL: string;
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The model providers of this process, by name, each with one `OpenAI` client built at start
 * and shared by every run, all sending through one {@link ModelHttpClient} (a connection pool
 * per origin). The default provider (`openai`) is the one `OPENAI_API_KEY` /
 * `OPENAI_BASE_URL` configure; `PATINOX_PROVIDERS` adds named ones that an agent picks with
 * `model.provider`.
 */
export class ModelProviders {
  readonly #providers: ReadonlyMap<string, ModelProvider>;
  readonly #http = new ModelHttpClient();

  /** Providers from explicit settings (tests, or {@link ModelProviders.fromConfig}). */
  constructor(settings: Readonly<Record<string, ProviderOptions>>) {
    const providers = new Map<string, ModelProvider>();
    for (const [name, options] of Object.entries(settings)) {
      providers.set(name, createProvider(name, options, this.#http));
    }
    this.#providers = providers;
  }

  /** The providers Execute's configuration names. */
  static fromConfig(config: ExecuteConfig): ModelProviders {
    const settings: Record<string, ProviderOptions> = {};
    if (config.OPENAI_API_KEY !== undefined || config.OPENAI_BASE_URL !== undefined) {
      settings[DEFAULT_PROVIDER] = {
        baseURL: config.OPENAI_BASE_URL ?? OPENAI_BASE_URL,
        ...(config.OPENAI_API_KEY ? { apiKey: config.OPENAI_API_KEY.reveal() } : {}),
      };
    }
    for (const [name, provider] of Object.entries(config.PATINOX_PROVIDERS ?? {})) {
      settings[name] = revealed(provider);
    }
    return new ModelProviders(settings);
  }

  /** Closes the model connections once the calls under way have finished. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  /** The configured provider names. */
  get names(): readonly string[] {
    return [...this.#providers.keys()];
  }

  /**
   * The model and its fallbacks, in the order they are tried, each bound to its provider.
   * @throws PatinoxError `config_invalid` naming the first model whose provider is not configured
   */
  chain(model: ModelConfig): readonly ModelTarget[] {
    return [model, ...model.fallbacks].map((ref) => this.resolve(ref));
  }

  /**
   * One model bound to its provider (the default one when the reference names none).
   * @throws PatinoxError `config_invalid` when that provider is not configured
   */
  resolve(ref: Pick<ModelRef, "name" | "provider">): ModelTarget {
    const name = ref.provider ?? DEFAULT_PROVIDER;
    const provider = this.#providers.get(name);
    if (provider !== undefined) return { model: ref.name, provider };
    const message =
      this.#providers.size === 0
        ? "no model provider is configured: set OPENAI_API_KEY or OPENAI_BASE_URL (or PATINOX_PROVIDERS) for the execute service"
        : ref.provider === undefined
          ? `model ${ref.name} uses the default provider, which is not configured: set OPENAI_API_KEY or OPENAI_BASE_URL, or name one of the configured providers (${this.names.join(", ")})`
          : `model ${ref.name} names provider ${ref.provider}, which is not configured (configured: ${this.names.join(", ")})`;
    throw new PatinoxError("config_invalid", message, {
      details: { model: ref.name, provider: name, configured: [...this.names] },
    });
  }
}

function revealed(provider: ProviderSettings): ProviderOptions {
  const headers: Record<string, string> = {};
  for (const [header, value] of Object.entries(provider.headers ?? {})) {
    headers[header] = value.reveal();
  }
  return {
    baseURL: provider.baseURL,
    ...(provider.apiKey ? { apiKey: provider.apiKey.reveal() } : {}),
    ...(provider.headers ? { headers } : {}),
  };
}

function createProvider(
  name: string,
  options: ProviderOptions,
  http: ModelHttpClient,
): ModelProvider {
  const client = new OpenAI({
    // Everything explicit: left undefined, the client reads OPENAI_* from process.env, which
    // would bypass the configuration parsed at start (and the tests' isolated environments).
    baseURL: options.baseURL,
    // Local servers (Ollama, vLLM) need no key, but the client refuses to start without one.
    apiKey: options.apiKey ?? "no-key",
    organization: null,
    project: null,
    webhookSecret: null,
    defaultHeaders: options.headers ?? {},
    // Retries and fallbacks are Execute's decisions, made per call with the run's deadline.
    maxRetries: 0,
    // The client's own logs can carry request details; Execute logs its normalised errors.
    logLevel: "off",
    fetch: http.fetch,
  });
  const secrets = [options.apiKey ?? "", ...Object.values(options.headers ?? {})];
  return { name, client, scrubber: new SecretScrubber(secrets) };
}
