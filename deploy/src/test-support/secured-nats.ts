import { readFileSync } from "node:fs";
import { join } from "node:path";
import { nkeyAuthenticator } from "@nats-io/nats-core";
import { createUser } from "@nats-io/nkeys";
import { NatsServer } from "@patinox/testkit";
import { NATS_ROLES, type NatsRole, nkeyVariable } from "../nats-permissions.ts";
import { DEPLOY_DIR } from "../repo.ts";

/** deploy/nats/authorization.conf, the file the Helm values include. */
export const AUTHORIZATION_CONF = join(DEPLOY_DIR, "nats", "authorization.conf");

/** One user's nkey pair, made for one test run. */
export interface TestUser {
  readonly publicKey: string;
  readonly seed: string;
}

/** A nats-server running the committed authorization, and a fresh nkey pair per role. */
export interface SecuredNats {
  readonly server: NatsServer;
  readonly users: Readonly<Record<NatsRole, TestUser>>;
}

/**
 * Starts nats-server with deploy/nats/authorization.conf verbatim. The public keys it reads
 * from `$PATINOX_<ROLE>_NKEY` are defined as config variables ahead of it; the seeds are
 * generated here and never written anywhere.
 */
export async function startSecuredNats(): Promise<SecuredNats> {
  const users = Object.fromEntries(
    NATS_ROLES.map((role) => {
      const user = createUser();
      return [
        role,
        { publicKey: user.getPublicKey(), seed: new TextDecoder().decode(user.getSeed()) },
      ];
    }),
  ) as Record<NatsRole, TestUser>;
  const variables = NATS_ROLES.map((role) => `${nkeyVariable(role)}: "${users[role].publicKey}"`);
  const server = await NatsServer.start({
    extraConfig: [...variables, readFileSync(AUTHORIZATION_CONF, "utf8")].join("\n"),
    // The readiness probe needs a user too: the setup Job's may ask for JetStream info.
    probe: { authenticator: nkeyAuthenticator(new TextEncoder().encode(users.setup.seed)) },
  });
  return { server, users };
}
