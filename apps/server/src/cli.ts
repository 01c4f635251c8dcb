#!/usr/bin/env bun
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AppError } from "@fractal/infra/errors";
import { createLogger } from "@fractal/infra/logger";
import { openDatabase } from "@fractal/infra/storage/database";
import { KNOWN_MIGRATIONS, migrateToLatest, readSchemaStatus } from "@fractal/infra/storage/migrations";
import { ConfigError, type ConfigFlags, loadConfig } from "./config.ts";
import { ScaffoldError, scaffoldGraph } from "./scaffold.ts";
import { exitOnSignals, PortInUseError, startServer } from "./server.ts";
import { VERSION } from "./version.ts";

const USAGE = `fractal ${VERSION} — self-hosted LangGraph agent server

Usage:
  fractal serve   [--port N] [--host H] [--config langgraph.json] [--data-dir DIR] [--no-migrate] [--no-worker]
                                       the API (with an in-process worker unless --no-worker)
  fractal worker  [--port N] [--host H] [--config langgraph.json] [--no-migrate]
                                       execute runs; serves only /ok and /metrics (needs DATABASE_URL, REDIS_URL)
  fractal migrate [--data-dir DIR]     apply database migrations and exit
  fractal new-graph NAME [--graphs-dir DIR]
                                       add a catalog graph (graph, test, catalog entry)

Environment: PORT, HOST, FRACTAL_CONFIG, LANGGRAPH_CONFIG, FRACTAL_DATA_DIR, DATABASE_URL (alias POSTGRES_URI),
REDIS_URL (alias REDIS_URI), N_JOBS_PER_WORKER, LOG_LEVEL, FRACTAL_MIGRATE, FRACTAL_MAX_BODY_BYTES. Flags win
over env. Without DATABASE_URL data lives in an embedded PostgreSQL (PGlite) under the data dir (./.fractal),
for one process. Several API and worker processes share a PostgreSQL (DATABASE_URL) and a Redis (REDIS_URL).`;

function fail(message: string, code = 1): never {
  process.stderr.write(`fractal: ${message}\n`);
  process.exit(code);
}

async function serve(flags: ConfigFlags): Promise<void> {
  const config = loadConfig(process.env, flags);
  const server = await startServer(config);
  const role = { all: "", api: "; API only, no worker", worker: "; worker, serving only /ok and /metrics" }[
    config.role
  ];
  const redis = config.redisUrl ? " + Redis" : "";
  process.stderr.write(`fractal: serving on ${server.url} (${server.deps.storage.database.kind}${redis}${role})\n`);
  exitOnSignals(server);
}

async function migrate(flags: ConfigFlags): Promise<void> {
  const config = loadConfig(process.env, flags);
  const logger = createLogger({ level: config.logLevel });
  const database = await openDatabase(
    config.storage.kind === "pglite"
      ? { kind: "pglite", dataDir: config.storage.dataDir }
      : { kind: "postgres", url: config.storage.url, poolSize: 1 },
  );
  try {
    const status = await readSchemaStatus(database.db as never);
    process.stderr.write(
      `fractal: ${status.applied.length}/${KNOWN_MIGRATIONS.length} migrations applied, ${status.pending.length} pending\n`,
    );
    let done = 0;
    await migrateToLatest(database.db as never, (name) => {
      done++;
      process.stderr.write(`fractal: [${done}/${status.pending.length}] applied ${name}\n`);
    });
    logger.info("migrations complete", { applied: done });
    process.stderr.write("fractal: schema is up to date\n");
  } finally {
    await database.close();
  }
}

function newGraph(name: string | undefined, graphsDir: string | undefined): void {
  if (!name) fail(`new-graph needs a NAME\n\n${USAGE}`, 2);
  const dir = graphsDir ? resolve(graphsDir) : resolve(import.meta.dir, "../../../packages/graphs/src");
  const say = (line: string) => process.stderr.write(`fractal: ${line}\n`);
  scaffoldGraph(name, dir, say);
  say(`next: bun test ./${relative(process.cwd(), join(dir, "catalog", name))} — then restart the server; the`);
  say(`graph is served as '${name}' with a default assistant (see CONTRIBUTING.md, Adding a graph)`);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      config: { type: "string" },
      "data-dir": { type: "string" },
      "no-migrate": { type: "boolean" },
      "no-worker": { type: "boolean" },
      "graphs-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
  if (values.version) return void process.stdout.write(`${VERSION}\n`);
  const command = positionals[0];
  if (values.help || !command) return void process.stdout.write(`${USAGE}\n`);
  const flags: ConfigFlags = {
    port: values.port,
    host: values.host,
    config: values.config,
    "data-dir": values["data-dir"],
    ...(values["no-migrate"] ? { migrate: false } : {}),
  };
  if (command === "serve") return serve({ ...flags, ...(values["no-worker"] ? { worker: false } : {}) });
  if (command === "worker") return serve({ ...flags, worker: true });
  if (command === "migrate") return migrate(flags);
  if (command === "new-graph") return newGraph(positionals[1], values["graphs-dir"]);
  fail(`unknown command '${command}'\n\n${USAGE}`, 2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof PortInUseError || error instanceof ScaffoldError) {
    fail(error.message, 2);
  }
  const name = (error as Error)?.name;
  if (error instanceof AppError || name === "GraphLoadError" || name === "RedisUnavailableError") {
    fail((error as Error).message);
  }
  if ((error as Error)?.name === "TypeError" && /parseArgs|Unknown option/i.test(String(error))) {
    fail(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  fail(`start-up failed: ${(error as Error)?.stack ?? String(error)}`);
});
