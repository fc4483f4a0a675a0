"""The benchmark's PostgreSQL: the server at BENCH_PG_URL, or a throwaway cluster when that server
is not reachable (unless BENCH_PG_FALLBACK=0), and the bench database on it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

# The database is dropped on every run, so its name must say it is a benchmark's.
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BenchError(Exception):
    """A failure with a message for the person running `make bench` (no traceback)."""


@dataclass(frozen=True)
class Target:
    url: str  # the bench database
    name: str
    maintenance_url: str  # the same server's "postgres" database, for DROP/CREATE DATABASE


def parse_target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        msg = f"BENCH_PG_URL must be a postgres:// URL, got {url!r}"
        raise BenchError(msg)
    name = parts.path.lstrip("/")
    if not _SAFE_NAME.match(name) or "bench" not in name:
        msg = (
            f"BENCH_PG_URL names the database {name!r}; make bench drops and recreates it, so "
            "it must be a plain lower-case name containing 'bench' (e.g. kapclinic_bench)."
        )
        raise BenchError(msg)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    return Target(url=url, name=name, maintenance_url=maintenance)


def reachable(url: str) -> str | None:
    """None when a connection succeeds, else the reason it did not."""
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as error:
        return " ".join(str(error).split()) or type(error).__name__
    return None


def server_version(url: str) -> str:
    with psycopg.connect(url, connect_timeout=3) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def database_exists(target: Target) -> bool:
    with psycopg.connect(target.maintenance_url, connect_timeout=3) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target.name]).fetchone()
    return row is not None


def recreate_database(target: Target) -> None:
    with psycopg.connect(target.maintenance_url, autocommit=True, connect_timeout=3) as conn:
        name = sql.Identifier(target.name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def vacuum_analyze(target: Target) -> None:
    """Fresh statistics and visibility maps, as a production database has after autovacuum."""
    with psycopg.connect(target.url, autocommit=True, connect_timeout=3) as conn:
        conn.execute("VACUUM (ANALYZE)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _postgres_bin() -> Path:
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", path.parent.parent.name))

    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    msg = "no initdb found (install postgresql, or start a server and set BENCH_PG_URL)"
    raise BenchError(msg)


class ThrowawayCluster:
    """A PostgreSQL cluster in ``workdir/pg`` for this run only (fsync off; it is thrown away).

    As root the server runs as the ``postgres`` user (PostgreSQL refuses to run as root).
    """

    def __init__(self, workdir: Path) -> None:
        self.bin = _postgres_bin()
        self.data = workdir / "pg"
        self.sockets = workdir / "pg-socket"
        self.log = workdir / "pg.log"
        self.port = free_port()
        self.started = False
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        workdir.chmod(0o755)  # the postgres user must reach its data directory

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self._as_postgres, *args], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            msg = f"{' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}{log}"
            raise BenchError(msg)

    def start(self) -> None:
        for path in (self.data, self.sockets):
            path.mkdir(mode=0o700)
        self.log.touch()
        if self._as_postgres:
            for path in (self.data, self.sockets, self.log):
                shutil.chown(path, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.started = True
        deadline = time.monotonic() + 30
        while reachable(self.url) is not None:
            if time.monotonic() > deadline:
                msg = f"the throwaway cluster did not accept connections on port {self.port}"
                raise BenchError(msg)
            time.sleep(0.2)

    def stop(self) -> None:
        if self.started:
            self.started = False
            subprocess.run(
                [
                    *self._as_postgres,
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "fast",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                check=False,
            )
