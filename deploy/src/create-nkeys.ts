import { createUser } from "@nats-io/nkeys";
import { stringify } from "yaml";
import { NATS_ROLES } from "./nats-permissions.ts";

/** Where the Secrets go. */
export interface NkeySecretsOptions {
  /** Namespace of the Patinox services (and the setup Job). */
  readonly namespace: string;
  /** Namespace of the NATS Helm release. */
  readonly natsNamespace: string;
}

/**
 * Generates a fresh nkey pair per role and returns Kubernetes Secret manifests: each role's
 * seed as `patinox-nats-<role>` (key `nkey-seed`) in the Patinox namespace, and every public
 * key in `patinox-nats-users` (key: the role) in the NATS namespace, which the Helm values
 * read. Printed for `kubectl apply -f -`; nothing is written to disk.
 */
export function nkeySecrets(options: NkeySecretsOptions): string {
  const publicKeys: Record<string, string> = {};
  const documents: object[] = [];
  for (const role of NATS_ROLES) {
    const user = createUser();
    publicKeys[role] = user.getPublicKey();
    documents.push({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `patinox-nats-${role}`, namespace: options.namespace },
      type: "Opaque",
      stringData: { "nkey-seed": new TextDecoder().decode(user.getSeed()) },
    });
  }
  documents.push({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "patinox-nats-users", namespace: options.natsNamespace },
    type: "Opaque",
    stringData: publicKeys,
  });
  return documents.map((doc) => `---\n${stringify(doc)}`).join("");
}

/** `pnpm --filter @patinox/deploy --silent nkeys [namespace] [natsNamespace] | kubectl apply -f -` */
if (import.meta.url === `file://${process.argv[1]}`) {
  const [namespace = "patinox", natsNamespace = "nats"] = process.argv.slice(2);
  process.stdout.write(nkeySecrets({ namespace, natsNamespace }));
}
