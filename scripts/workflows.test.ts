import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const dir = resolve(import.meta.dir, "../.github/workflows");
type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, { needs?: string[] | string; steps: Step[] }> };
const load = (name: string) => Bun.YAML.parse(readFileSync(join(dir, name), "utf8")) as Workflow;
const runs = (w: Workflow, job: string) => (w.jobs[job]?.steps ?? []).map((s) => s.run ?? s.uses ?? "").join("\n");

describe("GitHub workflows", () => {
  test("ci.yml lints, runs knip, typechecks, checks the version and runs the whole suite with Postgres and Redis", () => {
    const ci = load("ci.yml") as Workflow & { jobs: { check: { services: Record<string, unknown> } } };
    expect(Object.keys(ci.jobs.check.services).sort()).toEqual(["postgres", "redis"]);
    const steps = runs(ci, "check");
    for (const command of [
      "bun install --frozen-lockfile",
      "bun run lint",
      "bun run knip",
      "bun run typecheck",
      "bun scripts/version.ts --check",
      "bun run test:all",
    ]) {
      expect(steps).toContain(command);
    }
  });

  test("release.yml, on version tags: verified version, multi-arch image with SBOM and provenance, npm with provenance, a release", () => {
    const release = load("release.yml");
    expect(release.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(runs(release, "verify")).toContain('bun scripts/version.ts --check "$GITHUB_REF_NAME"');
    const build = release.jobs.image?.steps.find((s) => s.uses?.startsWith("docker/build-push-action"));
    expect(build?.with).toMatchObject({
      platforms: "linux/amd64,linux/arm64",
      push: true,
      sbom: true,
      provenance: "mode=max",
    });
    expect(runs(release, "npm")).toContain("npm publish");
    expect(runs(release, "npm")).toContain("--provenance");
    for (const pkg of ["infra", "graphs", "runtime"]) expect(runs(release, "npm")).toContain(pkg);
    expect(release.jobs.image?.needs).toBe("verify");
    expect(release.jobs["github-release"]?.needs).toEqual(["image", "npm"]);
  });
});
