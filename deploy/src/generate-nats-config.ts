import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderAuthorization, renderHelmValues } from "./nats-config.ts";
import { DEPLOY_DIR } from "./repo.ts";

/** Writes deploy/nats/authorization.conf and deploy/helm/nats-values.yaml for the default installation. */
for (const [path, text] of [
  [join(DEPLOY_DIR, "nats", "authorization.conf"), renderAuthorization()],
  [join(DEPLOY_DIR, "helm", "nats-values.yaml"), renderHelmValues()],
] as const) {
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}
