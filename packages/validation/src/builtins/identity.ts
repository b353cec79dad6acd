import type { ValidatorConfig } from "@patinox/contracts";

/** The configured `name`, `kind` and `priority` every built-in carries. */
export interface ValidatorIdentity {
  readonly name: string;
  readonly kind: string;
  readonly priority: number;
}

/** A built-in's identity: its name defaults to its kind, as the contracts say. */
export function identityOf(config: ValidatorConfig): ValidatorIdentity {
  return { name: config.name ?? config.kind, kind: config.kind, priority: config.priority };
}

/** The configuration of one kind of built-in. */
export type ConfigOf<K extends ValidatorConfig["kind"]> = Extract<ValidatorConfig, { kind: K }>;
