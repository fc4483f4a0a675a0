"""Profile one bench scenario in-process: its SQL queries and where its Python time goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kapclinic_bench \\
        .venv/bin/python -m bench.profile "score+store PHQ-9" [--repeat 50] [--top 25] [--sql]

Runs against an existing bench database (``make bench`` builds it; ``BENCH_REUSE=1`` keeps it)
with the production settings (DEBUG off), through Django's test client and the whole middleware
stack, as the scenario's role. It prints the median and p95 time of ``--repeat`` requests, the
queries of one request (``--sql`` prints their text) and the functions with the most cumulative
time over all requests (cProfile). Use it to find what to optimise; ``make bench`` measures the
result under gunicorn.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from string import Formatter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", help="a scenario name from bench/scenarios.py")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="print each query's text")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-profile-" + "x" * 40)
    os.environ.setdefault("AUDIT_KEY", "bench-profile-audit-" + "y" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    # Pages name their static files through the manifest: collect them, as the bench server does.
    os.environ.setdefault("KAPCLINIC_VAR_DIR", tempfile.mkdtemp(prefix="kapclinic-profile-"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("collectstatic", "--noinput", verbosity=0)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.prepare import RESOLVERS, _session_for, _user_for
    from bench.scenarios import SCENARIOS, SIGNED_IN_FLOOR

    known = [SIGNED_IN_FLOOR, *SCENARIOS]
    chosen = next((s for s in known if s.name == args.scenario), None)
    if chosen is None:
        names = ", ".join(repr(s.name) for s in known)
        msg = f"no scenario {args.scenario!r}; known: {names}"
        raise SystemExit(msg)
    user = _user_for(chosen.role) if chosen.role else None
    wanted = {
        name
        for text in (chosen.path, chosen.body)
        for _, name, _, _ in Formatter().parse(text)
        if name
    }
    values = {name: RESOLVERS[name](user) for name in wanted}
    path = chosen.path.format(**values)
    body = chosen.body.format(**values)

    client = Client(enforce_csrf_checks=False, SERVER_NAME="127.0.0.1")
    if user is not None:
        from django.conf import settings

        client.cookies[settings.SESSION_COOKIE_NAME] = _session_for(user)

    def request() -> int:
        if chosen.method == "GET":
            return client.get(path).status_code
        return client.generic(
            chosen.method, path, body, content_type=chosen.content_type
        ).status_code

    status = request()
    if status != chosen.expect_status:
        msg = f"{chosen.name}: answered {status}, expected {chosen.expect_status}"
        raise SystemExit(msg)
    with CaptureQueriesContext(connection) as queries:
        request()
    print(f"{chosen.name}: {chosen.method} {path} as {chosen.role or 'anonymous'}")
    print(f"queries per request: {len(queries)}")
    if args.sql:
        for n, query in enumerate(queries.captured_queries, 1):
            print(f"  {n:2}. ({float(query['time']) * 1000:.2f} ms) {query['sql'][:400]}")

    timings: list[float] = []
    profile = cProfile.Profile()
    for _ in range(args.repeat):
        start = time.perf_counter()
        profile.enable()
        request()
        profile.disable()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(
        f"in-process over {args.repeat} requests (profiler on): "
        f"median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms"
    )
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    json.dump({"queries": len(queries), "median_ms": statistics.median(timings)}, sys.stderr)
    sys.stderr.write("\n")


if __name__ == "__main__":
    main()
