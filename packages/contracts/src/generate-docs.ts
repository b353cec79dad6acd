/**
 * Writes `docs/wire.md` and `docs/schemas/*.json` from the contracts, and removes schema files
 * that no longer have a schema. Run with `pnpm --filter @patinox/contracts gen:docs`.
 * @packageDocumentation
 */
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderWireDocs, SCHEMA_DIR } from "./render-docs.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const files = renderWireDocs();

for (const [path, content] of files) {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), content);
}
for (const name of await readdir(join(root, SCHEMA_DIR))) {
  if (!files.has(`${SCHEMA_DIR}/${name}`)) await rm(join(root, SCHEMA_DIR, name));
}
console.log(`wrote ${files.size} files under ${join(root, "docs")}`);
