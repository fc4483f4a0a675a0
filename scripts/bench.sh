#!/usr/bin/env bash
# make bench: build a 100,000-patient clinic on PostgreSQL, serve it with gunicorn and load it
# with wrk over loopback; prints p50/p95/p99, req/s and queries per request for each scenario
# (bench/scenarios.py) and writes var/bench/last.json. The work is done by bench/run.py (its
# docstring lists the BENCH_* settings); this wrapper installs wrk when missing and owns the work
# directory, so that a server or throwaway PostgreSQL cluster left behind by a killed run is
# stopped and the directory removed however the run ends.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never

if [ ! -x .venv/bin/python ]; then
  echo "ERROR: .venv is missing; run 'make bench' (it syncs the environment first)." >&2
  exit 1
fi

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ERROR: wrk is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y wrk)." >&2
    exit 1
  fi
  echo "[bench] installing wrk"
  if ! apt-get install -y -q wrk >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q wrk >/dev/null
  fi
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/kapclinic-bench.XXXXXX")

stop_pid() {  # stop_pid PID SIGNAL: signal a process and wait up to 15 s for it to go
  local pid=$1 sig=$2
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

child=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # bench/run.py stops these itself; this only catches what a killed run left behind.
  if [ -s "$workdir/gunicorn.pid" ]; then
    stop_pid "$(cat "$workdir/gunicorn.pid")" TERM
  fi
  if [ -s "$workdir/pg/postmaster.pid" ]; then
    stop_pid "$(head -n 1 "$workdir/pg/postmaster.pid")" INT  # PostgreSQL's fast shutdown
  fi
  rm -rf "$workdir"
  exit "$status"
}
# Ctrl-C or a TERM: ask bench/run.py to stop (it then stops gunicorn and any cluster) and wait
# for it. The run is a background job so that the trap fires at once rather than when it ends.
forward() {
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap forward INT TERM

BENCH_WORKDIR="$workdir" .venv/bin/python -m bench.run &
child=$!
while :; do
  status=0
  wait "$child" || status=$?
  # wait also returns (with 128 + signal) when a trapped signal arrives; go on waiting.
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"
