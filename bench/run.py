"""`make bench`: build a synthetic clinic on PostgreSQL, serve it with gunicorn, load it with wrk.

Run through scripts/bench.sh (which installs wrk when missing and gives this a work directory
that it removes, with anything still running in it, however the run ends). Steps:

1. PostgreSQL at BENCH_PG_URL; when unreachable, a throwaway cluster (BENCH_PG_FALLBACK=0 makes
   that an error instead). The bench database is dropped and recreated, migrated and filled by
   ``generate_demo --patients BENCH_PATIENTS --seed 1`` (timed), then VACUUM ANALYZEd.
   BENCH_REUSE=1 keeps an existing bench database that already holds that many patients.
2. collectstatic into the work directory and gunicorn on a free loopback port with the
   production settings (DEBUG off) plus KAPCLINIC_QUERY_COUNT_HEADER=1.
3. Every scenario (bench/scenarios.py) must answer its expected status before anything is
   loaded. Then, the floor (/healthz) and the signed-in floor first, each is warmed up and
   loaded with wrk for a fixed time with one connection (the time of one request alone;
   BENCH_SINGLE=0 skips it) and then with BENCH_CONNECTIONS, and one more request reads its
   X-Query-Count.
4. A table on stdout, the page-cost targets (bench/targets.py) with PASS/FAIL, and the same as
   JSON in var/bench/last.json (BENCH_OUT to change).

Settings (environment; bench/README.md explains them): BENCH_PG_URL, BENCH_PG_FALLBACK (1),
BENCH_PATIENTS (100000), BENCH_REUSE (0), BENCH_DURATION (10s), BENCH_WARMUP (3s),
BENCH_CONNECTIONS (8), BENCH_SINGLE (1), BENCH_WRK_THREADS (2), BENCH_WRK_TIMEOUT (10s),
BENCH_WORKERS (2), BENCH_THREADS (4 gunicorn threads per worker), BENCH_ONLY (comma-separated
scenario names; the two floors always run), BENCH_OUT, BENCH_WORKDIR.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench.database import (
    BenchError,
    Target,
    ThrowawayCluster,
    database_exists,
    free_port,
    parse_target,
    reachable,
    recreate_database,
    server_version,
    vacuum_analyze,
)
from bench.scenarios import FLOOR, SCENARIOS, SIGNED_IN_FLOOR, Scenario
from bench.targets import evaluate, report_lines

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LUA = ROOT / "bench" / "report.lua"
SEED = 1
BUSY_WARNING = 10.0  # % of CPU used by other processes just before loading that makes a warning
_DURATION = re.compile(r"^[1-9][0-9]*[smh]?$")


# --- configuration ---------------------------------------------------------------------------


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        msg = f"{name} must be a whole number of at least {minimum}, got {raw!r}"
        raise BenchError(msg)
    return int(raw)


def _env_duration(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip() or default
    if not _DURATION.match(value):
        msg = f"{name} must be a duration like 10s, 2m or 30 (seconds), got {value!r}"
        raise BenchError(msg)
    return value


def _seconds(duration: str) -> int:
    unit = {"s": 1, "m": 60, "h": 3600}.get(duration[-1], 1)
    return int(duration.rstrip("smh")) * unit


@dataclass(frozen=True)
class Config:
    pg_url: str
    pg_fallback: bool
    patients: int
    reuse: bool
    duration: str
    warmup: str
    connections: int
    single: bool
    wrk_threads: int
    wrk_timeout: str
    workers: int
    threads: int
    only: list[str]
    out: Path

    @classmethod
    def from_env(cls) -> Config:
        config = cls(
            pg_url=os.environ.get("BENCH_PG_URL")
            or "postgres://postgres@127.0.0.1:5432/kapclinic_bench",
            pg_fallback=os.environ.get("BENCH_PG_FALLBACK", "1") != "0",
            patients=_env_int("BENCH_PATIENTS", 100_000, minimum=0),
            reuse=os.environ.get("BENCH_REUSE", "0") == "1",
            duration=_env_duration("BENCH_DURATION", "10s"),
            warmup=_env_duration("BENCH_WARMUP", "3s"),
            connections=_env_int("BENCH_CONNECTIONS", 8),
            single=os.environ.get("BENCH_SINGLE", "1") != "0",
            wrk_threads=_env_int("BENCH_WRK_THREADS", 2),
            wrk_timeout=_env_duration("BENCH_WRK_TIMEOUT", "10s"),
            workers=_env_int("BENCH_WORKERS", 2),
            threads=_env_int("BENCH_THREADS", 4),
            only=[n.strip() for n in os.environ.get("BENCH_ONLY", "").split(",") if n.strip()],
            out=Path(os.environ.get("BENCH_OUT") or ROOT / "var" / "bench" / "last.json"),
        )
        if config.connections < config.wrk_threads:
            msg = "BENCH_CONNECTIONS must be at least BENCH_WRK_THREADS (wrk needs one per thread)"
            raise BenchError(msg)
        unknown = set(config.only) - {s.name for s in SCENARIOS}
        if unknown:
            names = ", ".join(repr(s.name) for s in SCENARIOS)
            msg = f"BENCH_ONLY names unknown scenarios {sorted(unknown)}; known: {names}"
            raise BenchError(msg)
        return config

    @property
    def wrk_args(self) -> str:
        loaded = f"-t{self.wrk_threads} -c{self.connections} -d{self.duration}"
        return f"-t1 -c1 -d{self.duration}, then {loaded}" if self.single else loaded

    @property
    def runs_single(self) -> bool:
        """One-connection runs next to the loaded ones (not when those have one already)."""
        return self.single and self.connections > 1


# --- small helpers ---------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _sigterm(signum: int, frame: FrameType | None) -> None:
    """TERM (scripts/bench.sh forwards Ctrl-C as TERM): unwind, stopping the server on the way."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM must not break the clean-up
    print("\n[bench] stopping", file=sys.stderr, flush=True)
    raise SystemExit(128 + signum)


def _git_commit() -> str:
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return result.stdout.strip()


def _load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def cpu_busy(seconds: float = 1.0) -> float | None:
    """How busy the machine's CPUs are (0-100 %) over ``seconds``, from /proc/stat (Linux)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total_1, idle_1 = sample()
        time.sleep(seconds)
        total_2, idle_2 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total_2 - total_1
    return 100.0 * (total - (idle_2 - idle_1)) / total if total > 0 else None


def manage(env: Mapping[str, str], *args: str, capture: bool = False, quiet: bool = False) -> str:
    """Run manage.py and return its output when ``capture`` (stderr too when ``quiet``, else it
    goes to the terminal); on failure, raise with the captured output."""
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        stdout=subprocess.PIPE if capture or quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        output = (result.stdout or "").strip()[-3000:]
        msg = f"manage.py {' '.join(args)} failed (exit {result.returncode})\n{output}"
        raise BenchError(msg)
    return result.stdout or ""


def prepare(env: Mapping[str, str], roles: dict[str, list[str]]) -> dict[str, Any]:
    """Run bench.prepare in the server's environment (see its docstring for the JSON)."""
    result = subprocess.run(
        [str(PYTHON), "-m", "bench.prepare"],
        cwd=ROOT,
        env=dict(env),
        input=json.dumps({"roles": roles}),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        msg = f"bench.prepare failed:\n{result.stderr.strip()}"
        raise BenchError(msg)
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


# --- PostgreSQL and data ---------------------------------------------------------------------


@dataclass
class Data:
    server: str = ""
    patients: int = 0
    generation_seconds: float | None = None  # None when an existing database was reused
    vacuum_seconds: float | None = None


def open_database(config: Config, workdir: Path, stack: ExitStack) -> tuple[Target, str]:
    target = parse_target(config.pg_url)
    problem = reachable(target.maintenance_url)
    if problem is None:
        version = server_version(target.maintenance_url)
        return target, f"PostgreSQL {version} at {_hide_password(target.url)}"
    if not config.pg_fallback:
        msg = (
            f"PostgreSQL is not reachable at {_hide_password(target.maintenance_url)} "
            f"({problem}). Start it or set BENCH_PG_URL (BENCH_PG_FALLBACK=0 is set)."
        )
        raise BenchError(msg)
    say(f"PostgreSQL is not reachable at {_hide_password(target.maintenance_url)} ({problem});")
    say("starting a throwaway cluster for this run (BENCH_PG_FALLBACK=0 to fail instead)")
    cluster = ThrowawayCluster(workdir)
    stack.callback(cluster.stop)
    cluster.start()
    target = parse_target(f"postgres://postgres@127.0.0.1:{cluster.port}/{target.name}")
    version = server_version(target.maintenance_url)
    return target, f"PostgreSQL {version}, throwaway cluster on port {cluster.port} (fsync off)"


def _hide_password(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def reuse_data(config: Config, target: Target, env: Mapping[str, str], data: Data) -> bool:
    """BENCH_REUSE=1: migrate the existing bench database; True if it holds the wanted data."""
    say(f"BENCH_REUSE=1: migrating the existing database {target.name}")
    try:
        manage(env, "migrate", "--noinput", "-v0", quiet=True)
        counts = prepare(env, {})
    except BenchError as error:
        # Typically a migration that was edited after this database was built.
        first_line = str(error).splitlines()[0]
        last_line = str(error).strip().splitlines()[-1]
        say(f"cannot reuse it ({first_line}: {last_line}); rebuilding")
        return False
    if counts["organizations"] and counts["patients"] == config.patients:
        data.patients = counts["patients"]
        say(f"reusing {data.patients:,} patients")
        return True
    say(f"it holds {counts['patients']:,} patients, not {config.patients:,}: rebuilding")
    return False


def build_data(config: Config, target: Target, env: Mapping[str, str], data: Data) -> None:
    if config.reuse and database_exists(target) and reuse_data(config, target, env, data):
        return
    say(f"creating the database {target.name} (dropping any previous one)")
    recreate_database(target)
    manage(env, "migrate", "--noinput", "-v0")
    say(f"generating {config.patients:,} patients (seed {SEED})")
    started = time.monotonic()
    output = manage(
        env, "generate_demo", "--patients", str(config.patients), "--seed", str(SEED), capture=True
    )
    data.generation_seconds = time.monotonic() - started
    summary = next((line for line in output.splitlines() if line.startswith("Generated")), "")
    say(f"{summary} Wall time with start-up: {data.generation_seconds:.1f} s.")
    started = time.monotonic()
    vacuum_analyze(target)
    data.vacuum_seconds = time.monotonic() - started
    say(f"VACUUM ANALYZE: {data.vacuum_seconds:.1f} s")
    data.patients = prepare(env, {})["patients"]


# --- the server ------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, headers: Mapping[str, str], body: str = ""
) -> tuple[int, http.client.HTTPMessage, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers=dict(headers))
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


@contextmanager
def gunicorn(config: Config, env: Mapping[str, str], workdir: Path, log: Path) -> Iterator[int]:
    """Serve the app on a free loopback port; yield the port; always stop the server."""
    port = free_port()
    args = [
        str(GUNICORN),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(config.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(config.threads),
        "--pid",
        str(workdir / "gunicorn.pid"),
        "--no-control-socket",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as log_file:
        server = subprocess.Popen(
            args,
            cwd=ROOT,
            env=dict(env),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                msg = f"gunicorn exited with {server.returncode}:\n{_tail(log)}"
                raise BenchError(msg)
            try:
                if request(port, "GET", "/healthz", {})[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                msg = f"gunicorn did not answer /healthz within 60 s:\n{_tail(log)}"
                raise BenchError(msg)
            time.sleep(0.2)
        yield port
    finally:
        _stop(server)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- scenarios -------------------------------------------------------------------------------


@dataclass
class Prepared:
    scenario: Scenario
    path: str
    body: str
    headers: dict[str, str]


@dataclass
class Run:
    """One wrk run's summary (bench/report.lua)."""

    wrk: dict[str, Any]
    connections: int

    @property
    def seconds(self) -> float:
        return float(self.wrk["duration_us"]) / 1e6

    @property
    def rps(self) -> float:
        return float(self.wrk["requests"]) / self.seconds if self.seconds else 0.0

    def ms(self, percentile: str) -> float:
        return float(self.wrk["latency_us"][percentile]) / 1000

    @property
    def errors(self) -> int:
        """Failed requests: socket errors, timeouts and responses with an unexpected status
        (wrk's own "status" counter, statuses above 399, is part of the latter)."""
        counts = self.wrk["errors"]
        kinds = ("connect", "read", "write", "timeout", "unexpected_status")
        return sum(int(counts[kind]) for kind in kinds)

    def summary(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "p50_ms": self.ms("p50"),
            "p95_ms": self.ms("p95"),
            "p99_ms": self.ms("p99"),
            "mean_ms": round(float(self.wrk["latency_us"]["mean"]) / 1000, 3),
            "max_ms": self.ms("max"),
            "rps": round(self.rps, 1),
            "requests": self.wrk["requests"],
            "seconds": round(self.seconds, 3),
            "bytes_per_response": self.wrk["bytes"] // max(1, self.wrk["requests"]),
            "errors": self.errors,
            "error_counts": self.wrk["errors"],
        }


@dataclass
class Result:
    prepared: Prepared
    loaded: Run  # BENCH_CONNECTIONS connections
    single: Run | None  # one connection: the time of one request alone
    queries: int | None

    @property
    def quiet(self) -> Run:
        """The run that says what one request costs: the one-connection run when there is one."""
        return self.single or self.loaded

    @property
    def errors(self) -> int:
        return sum(run.errors for run in (self.single, self.loaded) if run is not None)


def placeholders(scenario: Scenario) -> list[str]:
    names: set[str] = set()
    for text in (scenario.path, scenario.body):
        names.update(name for _, name, _, _ in string.Formatter().parse(text) if name)
    return sorted(names)


def prepare_scenarios(scenarios: list[Scenario], env: Mapping[str, str]) -> list[Prepared]:
    roles: dict[str, set[str]] = {}
    for scenario in scenarios:
        roles.setdefault(scenario.role or "", set()).update(placeholders(scenario))
    answer = prepare(env, {role: sorted(names) for role, names in roles.items()})
    prepared = []
    for scenario in scenarios:
        role = answer["roles"][scenario.role or ""]
        values: dict[str, str] = role["values"]
        cookies = []
        headers: dict[str, str] = {}
        if role["session"]:
            cookies.append(f"{answer['session_cookie']}={role['session']}")
        if scenario.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            token = secrets.token_hex(16)  # a CSRF secret: 32 characters from the allowed set
            cookies.append(f"{answer['csrf_cookie']}={token}")
            headers[answer["csrf_header"]] = token
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        if scenario.body:
            headers["Content-Type"] = scenario.content_type
        prepared.append(
            Prepared(
                scenario,
                scenario.path.format_map(values),
                scenario.body.format_map(values),
                headers,
            )
        )
    return prepared


def check(port: int, item: Prepared) -> None:
    """The scenario must answer its expected status (a redirect to the login page is not 200)."""
    scenario = item.scenario
    status, headers, body = request(port, scenario.method, item.path, item.headers, item.body)
    if status != scenario.expect_status:
        where = f" -> {headers['Location']}" if headers.get("Location") else ""
        excerpt = body[:300].decode(errors="replace")
        msg = (
            f"scenario {scenario.name!r}: {scenario.method} {item.path} answered {status}"
            f"{where}, expected {scenario.expect_status}. Nothing was measured.\n{excerpt}"
        )
        raise BenchError(msg)


def query_count(port: int, item: Prepared) -> int | None:
    scenario = item.scenario
    _, headers, _ = request(port, scenario.method, item.path, item.headers, item.body)
    value = headers.get("X-Query-Count")
    return int(value) if value is not None and value.isdigit() else None


def wrk(
    config: Config, port: int, item: Prepared, duration: str, workdir: Path, connections: int
) -> Run:
    out = workdir / "wrk.json"
    out.unlink(missing_ok=True)
    args = [
        "wrk",
        f"-t{min(config.wrk_threads, connections)}",
        f"-c{connections}",
        f"-d{duration}",
        f"--timeout={config.wrk_timeout}",
        "-s",
        str(LUA),
    ]
    for name, value in item.headers.items():
        args += ["-H", f"{name}: {value}"]
    args.append(f"http://127.0.0.1:{port}{item.path}")
    env = {
        **os.environ,
        "BENCH_WRK_OUT": str(out),
        "BENCH_WRK_METHOD": item.scenario.method,
        "BENCH_WRK_BODY": item.body,
        "BENCH_WRK_EXPECT": str(item.scenario.expect_status),
    }
    limit = _seconds(duration) + _seconds(config.wrk_timeout) + 30
    try:
        result = subprocess.run(
            args, env=env, capture_output=True, text=True, check=False, timeout=limit
        )
    except subprocess.TimeoutExpired:
        msg = f"wrk did not finish within {limit} s on {item.scenario.name!r}"
        raise BenchError(msg) from None
    if result.returncode != 0 or not out.exists():
        msg = f"wrk failed on {item.scenario.name!r}:\n{result.stdout}{result.stderr}"
        raise BenchError(msg)
    summary: dict[str, Any] = json.loads(out.read_text())
    return Run(summary, connections)


# --- output ----------------------------------------------------------------------------------


def header_lines(meta: dict[str, Any]) -> list[str]:
    generation = meta["generation_seconds"]
    generated = (
        f"generated in {generation:.1f} s" if generation is not None else "reused (BENCH_REUSE=1)"
    )
    if meta["cpu_busy_before"] is None:
        busy = "CPU use by other work unknown"
    else:
        busy = f"{meta['cpu_busy_before']:.0f}% busy with other work just before loading"
        if meta.get("cpu_busy_after") is not None:
            busy += f", {meta['cpu_busy_after']:.0f}% just after"
        if max(meta["cpu_busy_before"], meta.get("cpu_busy_after") or 0) > BUSY_WARNING:
            busy += " (NOISY: other processes competed with the benchmark)"
        if meta.get("load_average"):
            busy += f"; load average {' '.join(f'{v:.2f}' for v in meta['load_average'])}"
    return [
        f"kapclinic benchmark  {meta['date']}  commit {meta['commit']}",
        f"data:     {meta['patients']:,} patients, {generated}",
        f"database: {meta['database']}",
        f"server:   gunicorn {meta['gunicorn']}, DEBUG off",
        f"machine:  {meta['cpus']} CPUs, {busy}",
        f"load:     wrk {meta['wrk']} --timeout {meta['wrk_timeout']} "
        f"(after a {meta['warmup']} warm-up), loopback",
    ]


def table(rows: list[dict[str, Any]], connections: int) -> list[str]:
    """One line per scenario: the one-connection run (when made), the loaded run, and ratios
    to the floors: p50s from the quietest run, req/s from the loaded one."""
    c1, cn = "1c", f"{connections}c"
    columns: list[tuple[str, str, str, str]] = [
        ("scenario", "", "name", "<"),
        (f"{c1} p50", "single", "p50_ms", ">"),
        (f"{c1} p95", "single", "p95_ms", ">"),
        (f"{c1} req/s", "single", "rps", ">"),
        (f"{cn} p50", "loaded", "p50_ms", ">"),
        (f"{cn} p95", "loaded", "p95_ms", ">"),
        (f"{cn} req/s", "loaded", "rps", ">"),
        ("queries", "", "queries", ">"),
        ("p50÷healthz", "", "p50_vs_floor", ">"),
        ("p50÷signed-in", "", "p50_vs_signed_in", ">"),
        (f"{cn} req/s÷healthz", "", "rps_vs_floor", ">"),
        ("errors", "", "errors", ">"),
    ]
    if not any(r["single"] for r in rows):
        columns = [c for c in columns if c[1] != "single"]

    def cell(row: dict[str, Any], run: str, key: str) -> str:
        source = row[run] if run else row
        value = source.get(key) if source else None
        if value is None:
            return "-" if run or key.endswith(("_floor", "_signed_in")) else "?"
        if key == "rps":
            return f"{value:,.0f}"
        if key == "rps_vs_floor":
            return f"{value:.1%}"
        if key.startswith("p50_vs"):
            return f"{value:.1f}x"
        if isinstance(value, float):
            return f"{value:.2f}"
        return str(value)

    cells = [[title for title, _, _, _ in columns]] + [
        [cell(r, run, k) for _, run, k, _ in columns] for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    lines = []
    for index, line in enumerate(cells):
        lines.append(
            "  ".join(
                f"{text:{align}{width}}"
                for text, (_, _, _, align), width in zip(line, columns, widths, strict=True)
            ).rstrip()
        )
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(mine: float, theirs: float | None, digits: int = 2) -> float | None:
    return round(mine / theirs, digits) if theirs else None


def row(result: Result, floor: Result, signed_in: Result | None) -> dict[str, Any]:
    item = result.prepared
    loaded = result.loaded
    p50 = result.quiet.ms("p50")
    return {
        "name": item.scenario.name,
        "method": item.scenario.method,
        "path": item.scenario.path,
        "role": item.scenario.role,
        "queries": result.queries,
        "single": result.single.summary() if result.single else None,
        "loaded": loaded.summary(),
        "p50_vs_floor": _ratio(p50, floor.quiet.ms("p50")),
        "p50_vs_signed_in": _ratio(p50, signed_in.quiet.ms("p50")) if signed_in else None,
        "rps_vs_floor": _ratio(loaded.rps, floor.loaded.rps, 4),
        "errors": result.errors,
    }


# --- main ------------------------------------------------------------------------------------


def run(config: Config, workdir: Path, stack: ExitStack) -> int:
    started = time.monotonic()
    target, database = open_database(config, workdir, stack)
    var_dir = workdir / "var"
    var_dir.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "KAPCLINIC_QUERY_COUNT_HEADER": "1",
        "KAPCLINIC_VAR_DIR": str(var_dir),
        "DATABASE_URL": target.url,
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    for name in (
        "KAPCLINIC_DEMO",
        "DATABASE_CONN_MAX_AGE",
        "SECRET_KEY_FILE",
        "AUDIT_KEY_FILE",
        "SECURE_PROXY_SSL_HEADER",
    ):
        env.pop(name, None)

    data = Data(server=database)
    build_data(config, target, env, data)
    say("collectstatic")
    manage(env, "collectstatic", "--noinput", "-v0")

    chosen = [s for s in SCENARIOS if not config.only or s.name in config.only]
    prepared = prepare_scenarios([FLOOR, SIGNED_IN_FLOOR, *chosen], env)

    gunicorn_args = f"{config.workers} workers x {config.threads} threads (gthread)"
    log = config.out.parent / "gunicorn.log"
    say(f"starting gunicorn: {gunicorn_args}; log in {log}")
    port = stack.enter_context(gunicorn(config, env, workdir, log))
    for item in prepared:
        check(port, item)
    say(f"all {len(prepared)} scenarios answer as expected; loading each for {config.duration}")

    busy = cpu_busy()
    if busy is not None and busy > BUSY_WARNING:
        say(f"WARNING: the CPUs are {busy:.0f}% busy with other work; the figures will be noisy")
    results = []
    for item in prepared:
        say(f"{item.scenario.name}: {item.scenario.method} {item.path}")
        single = None
        if config.runs_single:
            wrk(config, port, item, config.warmup, workdir, 1)
            single = wrk(config, port, item, config.duration, workdir, 1)
        wrk(config, port, item, config.warmup, workdir, config.connections)
        queries = query_count(port, item)
        loaded = wrk(config, port, item, config.duration, workdir, config.connections)
        results.append(Result(item, loaded, single, queries))
    busy_after = cpu_busy()

    floor, signed_in = results[0], results[1]
    meta: dict[str, Any] = {
        "date": datetime.now(tz=UTC).astimezone().isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "patients": data.patients,
        "generation_seconds": _round(data.generation_seconds),
        "vacuum_seconds": _round(data.vacuum_seconds),
        "database": database,
        "gunicorn": gunicorn_args,
        "cpus": os.cpu_count(),
        "cpu_busy_before": None if busy is None else round(busy, 1),
        "cpu_busy_after": None if busy_after is None else round(busy_after, 1),
        "load_average": _load_average(),
        "wrk": config.wrk_args,
        "wrk_timeout": config.wrk_timeout,
        "warmup": config.warmup,
        "connections": config.connections,
    }
    rows = [row(result, floor, signed_in) for result in results]
    targets = evaluate(rows, config.connections)
    meta["total_seconds"] = round(time.monotonic() - started, 1)
    lines = [
        "",
        *header_lines(meta),
        "",
        *table(rows, config.connections),
        "",
        *report_lines(targets),
        "",
    ]
    print("\n".join(lines), flush=True)
    config.out.parent.mkdir(parents=True, exist_ok=True)
    document = {
        **meta,
        "floor": FLOOR.name,
        "signed_in_floor": SIGNED_IN_FLOOR.name,
        "scenarios": rows,
        "targets": targets,
    }
    config.out.write_text(json.dumps(document, indent=2) + "\n")
    say(f"written to {config.out} (whole run {meta['total_seconds']:.0f} s)")
    failed = [r["name"] for r in rows if r["errors"]]
    if failed:
        say(
            f"ERROR: failed requests or unexpected statuses in: {', '.join(failed)} "
            f"(see error_counts in {config.out} and {log})"
        )
        return 1
    return 0


def _require_wrk() -> None:
    if shutil.which("wrk") is None:
        msg = "wrk is not installed (scripts/bench.sh installs it: apt-get install -y wrk)"
        raise BenchError(msg)


def main() -> int:
    signal.signal(signal.SIGTERM, _sigterm)
    given = os.environ.get("BENCH_WORKDIR")
    workdir = Path(given) if given else Path(tempfile.mkdtemp(prefix="kapclinic-bench-"))
    try:
        config = Config.from_env()
        _require_wrk()
        with ExitStack() as stack:
            return run(config, workdir, stack)
    except BenchError as error:
        print(f"\n[bench] FAILED: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\n[bench] interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        if not given:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
