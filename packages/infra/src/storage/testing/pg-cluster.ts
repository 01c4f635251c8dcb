import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../testing/free-port.ts";

/** A PostgreSQL server of its own that a test can stop and start (a real outage, not a proxy). */
export interface PgCluster {
  url: string;
  /** `pg_ctl stop -m fast`: the server disconnects every client and refuses new ones. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** The PostgreSQL server binaries: TEST_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
function findPgBin(): string {
  const fromEnv = process.env.TEST_PG_BIN;
  if (fromEnv && existsSync(join(fromEnv, "pg_ctl"))) return fromEnv;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) {
    throw new Error(
      "this test starts and stops a PostgreSQL server of its own: it needs the server binaries (initdb, pg_ctl) " +
        "in TEST_PG_BIN or /usr/lib/postgresql/N/bin; `bun run test:all` installs them",
    );
  }
  return join(root, versions[0], "bin");
}

/** Creates and starts a throwaway cluster on a free port (as the postgres user when run as root). */
export async function startPgCluster(): Promise<PgCluster> {
  const bin = findPgBin();
  const dir = mkdtempSync(join(tmpdir(), "fractal-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const ids = Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim();
    const gid = Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const run = async (args: string[]) => {
    const command = asRoot ? ["runuser", "-u", "postgres", "--", ...args] : args;
    const proc = Bun.spawn(command, { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) throw new Error(`${args.join(" ")} failed (${code}):\n${out}${err}`);
  };
  const port = freePort();
  const data = join(dir, "data");
  await run([join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () =>
    run([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run([join(bin, "pg_ctl"), "-D", data, "-w", "-m", "fast", "stop"]),
    start,
    async destroy() {
      await run([join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
