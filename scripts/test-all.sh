#!/usr/bin/env bash
# Runs the whole test suite: unit tests, and integration tests in embedded and PostgreSQL modes.
# Without DATABASE_URL / REDIS_URL it provisions throwaway PostgreSQL and Redis servers on free ports
# (installing them with apt on Debian when missing) and removes them afterwards.
# Ends with one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
work=$(mktemp -d /tmp/fractal-test-all.XXXXXX)
chmod 755 "$work"
pg_ctl_cmd=""
redis_pid_file=""

log() { printf 'test-all: %s\n' "$*" >&2; }

cleanup() {
  if [ -n "$pg_ctl_cmd" ]; then $pg_ctl_cmd stop -m immediate >/dev/null 2>&1 || true; fi
  if [ -n "$redis_pid_file" ] && [ -f "$redis_pid_file" ]; then kill "$(cat "$redis_pid_file")" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  bun -e 'const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }); console.log(s.port); s.stop(true);'
}

apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    log "$1 is not installed and this is not a Debian-like system: install it, or set ${2} to an existing server"
    exit 1
  fi
  local sudo=""
  if [ "$(id -u)" != "0" ]; then sudo="sudo"; fi
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    $sudo apt-get update -qq >/dev/null || { log "apt-get update failed"; exit 1; }
    apt_updated=1
  fi
  log "installing $1 with apt"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1" >/dev/null || { log "apt-get install $1 failed"; exit 1; }
}

as_pg_user() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ -z "${DATABASE_URL:-}" ]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$pg_bin" ]; then
    apt_install postgresql DATABASE_URL
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  port=$(free_port)
  mkdir -p "$work/pg"
  if [ "$(id -u)" = "0" ]; then chown postgres "$work/pg"; fi
  log "starting PostgreSQL ($("$pg_bin/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port"
  as_pg_user "$pg_bin/initdb" -D "$work/pg/data" -U postgres --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 ||
    { cat "$work/initdb.log" >&2; exit 1; }
  pg_ctl_cmd="as_pg_user $pg_bin/pg_ctl -D $work/pg/data"
  as_pg_user "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w -t 60 \
    -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
    start >/dev/null || { cat "$work/pg/server.log" >&2; exit 1; }
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
fi

if [ -z "${REDIS_URL:-}" ]; then
  if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server REDIS_URL; fi
  port=$(free_port)
  redis_pid_file="$work/redis.pid"
  log "starting Redis on 127.0.0.1:$port"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --pidfile "$redis_pid_file" --logfile "$work/redis.log" >/dev/null || { log "redis-server failed"; exit 1; }
  export REDIS_URL="redis://127.0.0.1:$port"
fi

# The PostgreSQL restart test starts and stops a server of its own with these binaries.
pg_bin=${pg_bin:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$pg_bin" ] && command -v apt-get >/dev/null 2>&1; then
  apt_install postgresql TEST_PG_BIN
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -n "$pg_bin" ]; then export TEST_PG_BIN="$pg_bin"; fi

# Integration tests get the admin URL and create a database each; the servers they start get their own.
export TEST_DATABASE_URL="$DATABASE_URL"
unset DATABASE_URL POSTGRES_URI

log "running bun test (unit + integration, embedded and postgres modes)"
bun test --timeout 60000 "$@" 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}

passed=$(grep -E '^ *[0-9]+ pass$' "$work/test.log" | tail -n 1 | awk '{print $1}')
failed=$(grep -E '^ *[0-9]+ fail$' "$work/test.log" | tail -n 1 | awk '{print $1}')
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" != "0" ] && [ "$failed" = "0" ]; then failed=1; fi

# The LangGraph reference server's own API suite: embedded, on PostgreSQL (one process each, no
# Redis), and split (an API process + a worker process, events over Redis; split-pg: over
# PostgreSQL). It lives in ../shared (beside a checkout on the project's machines and in CI), not in
# this repository.
conformance=../shared/conformance/run.sh
if [ -f "$conformance" ] && [ "${FRACTAL_SKIP_CONFORMANCE:-}" != "1" ]; then
  for mode in embedded postgres split split-pg; do
    conf_env=(REDIS_URL= REDIS_URI=)
    runner=$conformance
    if [ "$mode" != "embedded" ]; then
      conf_db=$(bun -e 'import { createTestDatabase } from "./packages/infra/src/storage/testing/postgres.ts";
        console.log((await createTestDatabase(process.env.TEST_DATABASE_URL)).url);') || { log "could not create the conformance database"; failed=$((failed + 1)); continue; }
      conf_env+=(DATABASE_URL="$conf_db")
    fi
    if [ "$mode" = "split" ]; then conf_env+=(REDIS_URL="$REDIS_URL"); fi
    if [ "${mode#split}" != "$mode" ]; then runner=scripts/conformance-split.sh; fi
    log "running the reference API suite ($mode)"
    env "${conf_env[@]}" bash "$runner" >"$work/conf-$mode.log" 2>"$work/conf-$mode.err"
    grep -E '^  FAIL ' "$work/conf-$mode.log" >&2
    line=$(grep -E '^conformance: [0-9]+ passed, [0-9]+ failed' "$work/conf-$mode.log" | tail -n 1)
    if [ -z "$line" ]; then
      tail -n 20 "$work/conf-$mode.err" >&2
      log "reference API suite ($mode) printed no totals"
      failed=$((failed + 1))
      continue
    fi
    log "reference API suite ($mode): ${line#conformance: }"
    passed=$((passed + $(echo "$line" | awk '{print $2}')))
    failed=$((failed + $(echo "$line" | awk '{print $4}')))
  done
else
  log "skipping the reference API suite: $conformance is absent (it is not part of this repository)"
fi
log "test time: $(( $(date +%s) - started ))s"
echo "$passed passed, $failed failed"
[ "$failed" = "0" ]
