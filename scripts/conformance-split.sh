#!/usr/bin/env bash
# Runs the reference API suite (../shared/conformance) against the scale-out topology: a
# `fractal serve --no-worker` API and a `fractal worker` over one PostgreSQL (and Redis when REDIS_URL
# is set; without it run events go through PostgreSQL LISTEN/NOTIFY), so every
# run the suite makes is executed in another process than the one it streams from. One worker: the
# suite's `agent` graph keeps a fake model per thread in process memory (`modelMap`), so a resumed
# run on a second worker would answer differently (a property of that graph, not of the server;
# tests/scale-out covers two workers).
# Needs DATABASE_URL (a database of its own: the suite truncates it). Prints the
# suite's last line, `conformance: N passed, M failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
conformance=../shared/conformance
[ -f "$conformance/run.sh" ] || { echo "conformance-split: $conformance is absent; skipping" >&2; exit 0; }
: "${DATABASE_URL:?conformance-split needs DATABASE_URL}"

graphs=apps/server/.conformance-graphs
rm -rf "$graphs" && cp -r "$conformance/suite/graphs" "$graphs" && chmod -R u+w "$graphs"
work=$(mktemp -d /tmp/fractal-conf-split.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port=$(bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true);')
export FRACTAL_TEST_ROUTES=true LOG_LEVEL=${LOG_LEVEL:-warn} FRACTAL_REDIS_PREFIX="conf-$$"
bun apps/server/src/cli.ts serve --no-worker --host 127.0.0.1 --port "$port" --config "$graphs/langgraph.json" \
  >"$work/api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 90); do curl -fs -o /dev/null "http://127.0.0.1:$port/ok" && break; sleep 1; done
bun apps/server/src/cli.ts worker --host 127.0.0.1 --port 0 --no-migrate \
  --config "$graphs/langgraph.json" >"$work/worker.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 90); do grep -q "serving on" "$work/worker.log" && break; sleep 1; done
echo "[conf-split] API on 127.0.0.1:$port and a worker process, PostgreSQL + ${REDIS_URL:+Redis}${REDIS_URL:-LISTEN/NOTIFY}" >&2
CONF_URL="http://localhost:$port" bash "$conformance/run.sh"
