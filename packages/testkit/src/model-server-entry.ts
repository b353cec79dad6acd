import { extname } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The absolute path of the simulated model server's entry point (`model-server-main`), for a
 * local stack to spawn. It is the `.ts` source when this package is used from source (spawn it
 * with `node --import tsx`) and the built `.js` otherwise.
 */
export const modelServerEntry: string = fileURLToPath(
  new URL(`./model-server-main${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);
