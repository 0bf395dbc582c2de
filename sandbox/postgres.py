"""A throwaway PostgreSQL server for the engine's own `postgres://` state backend, in tests and for users.

Debian's PostgreSQL (any version under /usr/lib/postgresql/*/bin) in a temporary data directory owned by the
`postgres` system user: initdb refuses to run as root, so when we are root every server binary runs through
`runuser -u postgres --`. Only 127.0.0.1 and a socket in the data directory's parent; trust auth (it is throwaway).
The engine creates its `pulumi_state` table itself; this module only provides the empty `pulumi` database.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

PG_ROOT = Path("/usr/lib/postgresql")
DATABASE = "pulumi"
SUPERUSER = "postgres"


class PostgresError(RuntimeError):
    """The server could not be found, initialised or started."""


def bin_dir() -> Path:
    """The newest installed Debian PostgreSQL's bin directory (holding initdb, pg_ctl, createdb, psql)."""
    candidates = []
    for entry in PG_ROOT.glob("*/bin"):
        try:
            major = int(entry.parent.name.split(".")[0])
        except ValueError:
            continue
        if (entry / "initdb").exists() and (entry / "pg_ctl").exists():
            candidates.append((major, entry))
    if not candidates:
        raise PostgresError(f"no PostgreSQL server under {PG_ROOT}/*/bin: run scripts/bootstrap.sh (apt: postgresql)")
    return max(candidates)[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Postgres:
    """`with Postgres() as pg: pg.url` — a server on 127.0.0.1:<free port> with an empty `pulumi` database."""

    def __init__(self, base_dir: str | Path | None = None, port: int | None = None, timeout_s: float = 60.0) -> None:
        self.bin = bin_dir()
        self.port = port or free_port()
        self.timeout_s = timeout_s
        self._base_dir = Path(base_dir) if base_dir else None
        self.root: Path | None = None  # our temp directory (0755), holding data/ and the socket
        self.running = False

    # -- paths and URL --------------------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        if self.root is None:
            raise PostgresError("not started")
        return self.root / "data"

    @property
    def url(self) -> str:
        """The engine's backend URL (`pulumi login <url>` / PULUMI_BACKEND_URL)."""
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}?sslmode=disable"

    # -- running things as the postgres user ---------------------------------------------------------------------
    def _as_postgres(self, args: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return args  # already unprivileged: the server runs as us
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            raise PostgresError("no `postgres` system user: install Debian's postgresql package") from None
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", SUPERUSER, "--", *args]
        return ["su", SUPERUSER, "-s", "/bin/sh", "-c", subprocess.list2cmdline(args)]

    def _run(self, tool: str, *args: str, timeout_s: float | None = None) -> subprocess.CompletedProcess[str]:
        cmd = self._as_postgres([str(self.bin / tool), *args])
        log.debug("running %s", " ".join(cmd))
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s or self.timeout_s, cwd=self.root or "/"
        )
        if proc.returncode != 0:
            raise PostgresError(f"{tool} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        return proc

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def start(self) -> Postgres:
        if self.running:
            return self
        # pytest's tmp dirs are 0700 root: the postgres user could not reach a data dir below them.
        self.root = Path(tempfile.mkdtemp(prefix="coldfleet-pg-", dir=self._base_dir or "/tmp"))
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SUPERUSER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        try:
            self._run("initdb", "-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--no-sync", "-D", str(self.data_dir))
            options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
            log_file = self.root / "postgres.log"
            self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(log_file), "-o", options, "-w", "start")
            self.running = True
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, DATABASE)
        except BaseException:
            self.stop()
            raise
        log.info("postgres %s running on 127.0.0.1:%d (%s)", self.bin.parent.name, self.port, self.root)
        return self

    def stop(self) -> None:
        """Fast shutdown, then remove the data directory. Safe to call twice."""
        if self.running and self.root is not None:
            try:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
            except (PostgresError, subprocess.TimeoutExpired) as error:
                log.warning("pg_ctl stop failed: %s", error)
            self.running = False
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- queries -------------------------------------------------------------------------------------------------
    def psql(self, sql: str, database: str = DATABASE) -> list[list[str]]:
        """Run one statement with psql (unaligned, tuples only); rows split on `|`."""
        psql = self.bin / "psql"
        cmd = [str(psql if psql.exists() else "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER]
        cmd += ["-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s)
        if proc.returncode != 0:
            raise PostgresError(f"psql failed ({proc.returncode}): {proc.stderr.strip()}")
        return [line.split("|") for line in proc.stdout.splitlines() if line]
