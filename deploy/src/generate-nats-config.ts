import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderAuthorization } from "./nats-config.ts";
import { DEPLOY_DIR } from "./repo.ts";

/** Writes deploy/nats/authorization.conf for the default installation. */
const path = join(DEPLOY_DIR, "nats", "authorization.conf");
writeFileSync(path, renderAuthorization());
console.log(`wrote ${path}`);
