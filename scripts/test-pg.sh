#!/usr/bin/env bash
# Run a command (the test suite) against PostgreSQL at $PG_TEST_URL in a throwaway database.
# pytest-django creates test_<name> and drops it afterwards; the name is unique per run so that
# two runs on one server never collide. An unreachable server skips this leg loudly on a
# developer machine and fails in CI (CI=true).
set -euo pipefail
PG_TEST_URL=${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/postgres}
if ! .venv/bin/python - "$PG_TEST_URL" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as error:  # any failure means "not reachable" here
    print(f"cannot connect: {error}".strip(), file=sys.stderr)
    sys.exit(1)
PY
then
  if [ "${CI:-}" = "true" ]; then
    echo "ERROR: PostgreSQL is not reachable at $PG_TEST_URL and CI=true: the PostgreSQL leg must run." >&2
    exit 1
  fi
  echo "################################################################################"
  echo "### SKIPPED: the PostgreSQL leg of the suite. No server at $PG_TEST_URL."
  echo "### Start one (or set PG_TEST_URL) to test on the production database."
  echo "################################################################################"
  exit 0
fi
base=${PG_TEST_URL%/*}
export DATABASE_URL="$base/kapclinic_$(date +%s)_$$"
exec "$@"
