import { describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setVersion, versions } from "./version.ts";

const root = resolve(import.meta.dir, "..");

describe("one version", () => {
  test("every manifest, the server (/info) and the chart carry the root package.json's version", () => {
    const found = versions();
    const main = found["package.json"];
    expect(main).toMatch(/^\d+\.\d+\.\d+/);
    for (const [place, version] of Object.entries(found)) expect({ place, version }).toEqual({ place, version: main });
  });

  test("--set writes it everywhere, so a release tag becomes every version", () => {
    const copy = mkdtempSync(join(tmpdir(), "fractal-version-"));
    try {
      for (const file of Object.keys(versions()).map((k) => k.split(" ")[0] as string)) {
        mkdirSync(dirname(join(copy, file)), { recursive: true });
        cpSync(join(root, file), join(copy, file));
      }
      setVersion("2.3.4-rc.1", copy);
      expect(new Set(Object.values(versions(copy)))).toEqual(new Set(["2.3.4-rc.1"]));
      expect(() => setVersion("two", copy)).toThrow("not a semantic version");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
