import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The `deploy/` folder. */
export const DEPLOY_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The repository root. */
export const REPO_ROOT = join(DEPLOY_DIR, "..");
