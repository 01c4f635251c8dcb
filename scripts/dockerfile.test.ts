import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

// No container engine runs where the tests run; these check the Dockerfile against the repository
// (what its layers must copy) and against what the image promises (non-root, health check, one
// bundle folder in the final stage).
const root = resolve(import.meta.dir, "..");
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const stages = dockerfile.split(/^FROM /m).slice(1);
const finalStage = stages.at(-1) ?? "";

describe("Dockerfile", () => {
  test("the dependency layer copies every workspace manifest, so the frozen install sees the whole lockfile", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { workspaces: string[] };
    const manifests = pkg.workspaces.flatMap((pattern) =>
      [...new Bun.Glob(`${pattern}/package.json`).scanSync({ cwd: root, onlyFiles: true })].sort(),
    );
    expect(manifests.length).toBeGreaterThan(3);
    for (const manifest of manifests) expect(dockerfile).toContain(`COPY ${manifest} `);
    expect(dockerfile).toContain("RUN bun install --frozen-lockfile");
    expect(dockerfile).toMatch(/RUN bun run bundle --out \/out/);
  });

  test("the final stage is the bundle folder alone, run as a non-root user, with a health check on /ok", () => {
    expect(stages.length).toBe(2);
    const copies = finalStage.split("\n").filter((line) => line.startsWith("COPY"));
    expect(copies).toEqual(["COPY --from=build --chown=root:root /out /app"]);
    expect(finalStage).toMatch(/^USER bun$/m);
    expect(finalStage).toMatch(/HEALTHCHECK[\s\S]*\/ok/);
    expect(finalStage).toContain('ENTRYPOINT ["bun", "/app/fractal.js"]');
    expect(finalStage).toContain('CMD ["serve"]');
  });

  test(".dockerignore keeps dependencies, build output and local data out of the build context", () => {
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8").split("\n");
    for (const entry of [".git", "**/node_modules", "**/dist", "**/.fractal", ".env"]) expect(ignored).toContain(entry);
    expect(existsSync(join(root, "scripts/bundle.ts"))).toBe(true);
  });
});
