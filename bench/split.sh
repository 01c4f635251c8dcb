#!/usr/bin/env bash
# Benchmarks the split topology: one `fractal serve --no-worker` and one `fractal worker` over
# DATABASE_URL, with run events over REDIS_URL when set (else PostgreSQL LISTEN/NOTIFY), with the
# bench graphs; prints run-bench's JSON line.
#   DATABASE_URL=postgres://… [REDIS_URL=redis://…] bash bench/split.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?bench/split.sh needs DATABASE_URL}"
port=$(bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true);')
export LOG_LEVEL=error FRACTAL_REDIS_PREFIX="bench-$$"
bun apps/server/src/cli.ts serve --no-worker --port "$port" --config bench/langgraph.json &
api=$!
trap 'kill $api ${worker:-} 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/ok" && break; sleep 0.3; done
bun apps/server/src/cli.ts worker --port 0 --no-migrate --config bench/langgraph.json &
worker=$!
sleep 3
bun bench/run-bench.ts "http://127.0.0.1:$port"
