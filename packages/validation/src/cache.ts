import { type AgentValidators, buildValidators, type ValidatorSource } from "./build.ts";

/** One version of an agent's definition: what an `AgentDefinitionRecord` holds. */
export interface DefinitionVersion {
  /** Grows by one with every write of the definition; never reused for other content. */
  readonly version: number;
  readonly definition: ValidatorSource;
}

/** Options of a {@link ValidatorCache}. */
export interface ValidatorCacheOptions {
  /**
   * Most versions kept; the least recently used goes first. A run holds its own reference,
   * so evicting a version never disturbs a run in flight on it.
   * @default 256
   */
  readonly maxEntries?: number;
  /**
   * Builds the validators of a version not in the cache.
   * @default {@link buildValidators}
   */
  readonly build?: (definition: ValidatorSource) => AgentValidators;
}

/**
 * The validators of each (agent, version), built on first use and reused by every request
 * after it, so patterns and schemas are compiled once per definition version, never per
 * request. A definition version is immutable (a change is a new version), which is what makes
 * (agent, version) a sound key.
 *
 * Ask for a version when it is loaded (hot reload), not only when a request arrives: a version
 * that does not compile throws `config_invalid` there, and the caller keeps the last good one.
 * Failures are not cached.
 */
export class ValidatorCache {
  readonly #entries = new Map<string, AgentValidators>();
  readonly #maxEntries: number;
  readonly #build: (definition: ValidatorSource) => AgentValidators;

  /** An empty cache. */
  constructor(options: ValidatorCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 256);
    this.#build = options.build ?? ((definition) => buildValidators(definition));
  }

  /** How many versions are cached. */
  get size(): number {
    return this.#entries.size;
  }

  /** The validators of this version of the agent, built now if they are not cached. */
  get(entry: DefinitionVersion): AgentValidators {
    const key = keyOf(entry.definition.name, entry.version);
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      // Re-inserting moves the key to the end: Map order is the recency order.
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    const built = this.#build(entry.definition);
    this.#entries.set(key, built);
    if (this.#entries.size > this.#maxEntries) {
      const [oldest] = this.#entries.keys();
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return built;
  }

  /** Forgets one version of an agent, or all of its versions (the agent was deleted). */
  delete(agent: string, version?: number): void {
    if (version !== undefined) {
      this.#entries.delete(keyOf(agent, version));
      return;
    }
    const prefix = keyOf(agent, "");
    for (const key of this.#entries.keys()) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}

/** The agent name first, JSON-quoted, so no name and version pair can collide with another. */
function keyOf(agent: string, version: number | ""): string {
  return `${JSON.stringify(agent)}#${version}`;
}
