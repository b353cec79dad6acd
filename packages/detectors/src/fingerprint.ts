import { createHash } from "node:crypto";
import type { FindingKind } from "@patinox/contracts";

/**
 * The fingerprint of a finding: its kind and 16 hex digits of SHA-256 over kind, agent and
 * target (`tool_timeouts-3fa2…`). The same problem gets the same fingerprint on every replica
 * and every evaluation, so it is one finding however often it is seen; it is a name token, so
 * it can be the last token of `findings.<agent>.<fingerprint>`.
 */
export function findingFingerprint(kind: FindingKind, agent: string, target?: string): string {
  const hash = createHash("sha256")
    .update(`${kind}\u0000${agent}\u0000${target ?? ""}`)
    .digest("hex")
    .slice(0, 16);
  return `${kind}-${hash}`;
}
