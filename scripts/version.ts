#!/usr/bin/env bun
/**
 * The release version lives in one place, the root package.json's `version`; the workspace
 * packages, the server (what /info reports) and the Helm chart carry copies this script keeps equal.
 *   bun scripts/version.ts             print it
 *   bun scripts/version.ts --set 1.2.3 write it everywhere (the release workflow uses the tag)
 *   bun scripts/version.ts --check [v1.2.3]   exit 1 unless every copy (and the tag) agrees
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dir, "..");
const MANIFESTS = [
  "package.json",
  "apps/server/package.json",
  "packages/graphs/package.json",
  "packages/infra/package.json",
  "packages/runtime/package.json",
];
const CHART = "helm/fractal/Chart.yaml";
const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** Every place a version is written, and what it says there. */
export function versions(dir = root): Record<string, string> {
  const found: Record<string, string> = {};
  for (const file of MANIFESTS) {
    found[file] = (JSON.parse(readFileSync(join(dir, file), "utf8")) as { version?: string }).version ?? "";
  }
  const chart = readFileSync(join(dir, CHART), "utf8");
  found[`${CHART} version`] = /^version:\s*(\S+)/m.exec(chart)?.[1] ?? "";
  found[`${CHART} appVersion`] = /^appVersion:\s*"?([^"\s]+)"?/m.exec(chart)?.[1] ?? "";
  return found;
}

export function setVersion(version: string, dir = root): void {
  if (!SEMVER.test(version)) throw new Error(`not a semantic version: ${version}`);
  for (const file of MANIFESTS) {
    const path = join(dir, file);
    const text = readFileSync(path, "utf8");
    const manifest = JSON.parse(text) as Record<string, unknown>;
    // The root manifest gains `version` after `name`, keeping the rest in order.
    const updated = "version" in manifest ? { ...manifest, version } : insertAfterName(manifest, version);
    writeFileSync(path, `${JSON.stringify(updated, null, 2)}\n`);
  }
  const chartPath = join(dir, CHART);
  const chart = readFileSync(chartPath, "utf8")
    .replace(/^version:.*$/m, `version: ${version}`)
    .replace(/^appVersion:.*$/m, `appVersion: "${version}"`);
  writeFileSync(chartPath, chart);
}

function insertAfterName(manifest: Record<string, unknown>, version: string) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(manifest)) {
    out[key] = value;
    if (key === "name") out.version = version;
  }
  return out;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { set: { type: "string" }, check: { type: "boolean" } },
  });
  if (values.set) {
    setVersion(values.set.replace(/^v/, ""));
    process.stdout.write(`${values.set.replace(/^v/, "")}\n`);
  } else {
    const found = versions();
    const main = found["package.json"] ?? "";
    if (values.check) {
      const tag = positionals[0]?.replace(/^refs\/tags\//, "").replace(/^v/, "");
      const wrong = Object.entries(found).filter(([, v]) => v !== main);
      if (tag !== undefined && tag !== main) wrong.push(["tag", tag]);
      if (!SEMVER.test(main) || wrong.length > 0) {
        process.stderr.write(`version: package.json says ${main || "nothing"}; differing: ${JSON.stringify(wrong)}\n`);
        process.exit(1);
      }
    }
    process.stdout.write(`${main}\n`);
  }
}
