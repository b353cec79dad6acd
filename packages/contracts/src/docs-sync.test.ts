import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GENERATE_DOCS_COMMAND, renderWireDocs, SCHEMA_DIR } from "./render-docs.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const stale = `is out of date: run \`${GENERATE_DOCS_COMMAND}\``;

describe("generated docs", () => {
  const files = renderWireDocs();

  it("renders the same output twice", () => {
    expect(renderWireDocs()).toEqual(files);
  });

  it.each([...files.keys()])("%s is checked in and up to date", (path) => {
    const absolute = `${root}${path}`;
    expect(existsSync(absolute), `${path} ${stale}`).toBe(true);
    expect(readFileSync(absolute, "utf8"), `${path} ${stale}`).toBe(files.get(path));
  });

  it("has no schema file left over from a removed schema", () => {
    const checkedIn = readdirSync(`${root}${SCHEMA_DIR}`).map((name) => `${SCHEMA_DIR}/${name}`);
    expect(
      checkedIn.filter((path) => !files.has(path)),
      `docs/schemas ${stale}`,
    ).toEqual([]);
  });

  it("ends every file with one newline and every JSON file parses", () => {
    for (const [path, content] of files) {
      expect(content.endsWith("\n") && !content.endsWith("\n\n"), path).toBe(true);
      if (path.endsWith(".json")) expect(() => JSON.parse(content)).not.toThrow();
    }
  });
});
