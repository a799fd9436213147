"""A private PostgreSQL server for the tests (and the bench): ``initdb`` into a temporary folder,
``pg_ctl start`` listening on a Unix socket in that folder and on a free loopback port
(``listen_addresses='127.0.0.1'`` only), stopped at the end.

PostgreSQL refuses to run as root: as root the folder is given to the ``postgres`` system user
(Debian's package creates it) and the server commands run through ``runuser -u postgres --``.
Connections over TCP need the password (SCRAM), which the tests pass through the environment as
``instance.yaml`` would (``{env: PG_PASSWORD}``); the socket trusts local connections.

The binaries are Debian's (``/usr/lib/postgresql/<version>/bin``) or on ``PATH``; ``make
system-deps`` installs them. When they are missing the tests are skipped, saying so, except under
``CI=true``, where that is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

PASSWORD = "np-test-password"
USER = "pipelines"
DATABASE = "pipelines"


def find_bin_dir() -> str | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or ``None``."""
    found = shutil.which("initdb")
    if found:  # Debian links initdb and pg_ctl onto PATH: the folder holding the others too
        folder = os.path.dirname(os.path.realpath(found))
        if all(os.path.exists(os.path.join(folder, name)) for name in ("pg_ctl", "createdb")):
            return folder
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[4]) if Path(p).parts[4].isdigit() else 0,
    )
    return os.path.dirname(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One private server: :meth:`start`, :meth:`restart`, :meth:`stop`; :attr:`url` (no
    password) and :attr:`password` to connect over loopback TCP."""

    def __init__(self, bin_dir: str) -> None:
        self.bin_dir = bin_dir
        self.folder = tempfile.mkdtemp(prefix="np-postgres-")
        self.data = os.path.join(self.folder, "data")
        self.port = _free_port()
        self.password = PASSWORD
        self.url = f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"
        self._as_postgres: list[str] = []
        if os.geteuid() == 0:
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.folder, "postgres", "postgres")
        self._started = False

    def _run(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [*self._as_postgres, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.folder,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def _pg_ctl(self, *args: str) -> None:
        self._run(os.path.join(self.bin_dir, "pg_ctl"), "-D", self.data, "-w", "-t", "60", *args)

    def start(self) -> PostgresServer:
        pwfile = os.path.join(self.folder, "pw")
        with open(pwfile, "w") as file:
            file.write(self.password)
        if self._as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            os.path.join(self.bin_dir, "initdb"),
            "-D",
            self.data,
            "-U",
            USER,
            "--pwfile",
            pwfile,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-instructions",
        )
        os.unlink(pwfile)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(
                "\n# the tests' private server: loopback and this folder's socket only\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.folder}'\n"
                "max_connections = 200\n"
                "log_min_messages = warning\n"
            )
        self._pg_ctl("-l", os.path.join(self.folder, "server.log"), "start")
        self._started = True
        self._run(
            os.path.join(self.bin_dir, "createdb"),
            "-h",
            self.folder,
            "-p",
            str(self.port),
            "-U",
            USER,
            DATABASE,
        )
        return self

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server is back when it returns."""
        # -l: the new postmaster writes to the log, not to the pipe this process reads
        self._pg_ctl("-l", os.path.join(self.folder, "server.log"), "-m", "fast", "restart")

    def stop(self) -> None:
        if self._started:
            self._started = False
            try:
                self._pg_ctl("-m", "immediate", "stop")
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def log(self) -> str:
        try:
            return Path(self.folder, "server.log").read_text()
        except OSError:
            return ""

    def config(self, schema: str | None = None) -> dict[str, str]:
        """An ``instance.yaml``-style storage config (password given, as resolved from env)."""
        config = {"url": self.url, "password": self.password}
        if schema:
            config["schema"] = schema
        return config


_counter = 0


def fresh_schema() -> str:
    """A new PostgreSQL schema name: one empty namespace per test."""
    global _counter
    _counter += 1
    return f"t{os.getpid()}_{_counter}_{int(time.time() * 1000) % 100000}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's private PostgreSQL server (skipped, or under CI failed, without binaries)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        reason = (
            "PostgreSQL's initdb/pg_ctl are not installed (Debian: apt-get install postgresql, "
            "or make system-deps)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; under CI=true this is a failure")
        pytest.skip(reason)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.fail("running as root needs runuser to start PostgreSQL as the postgres user")
    server = PostgresServer(bin_dir)
    try:
        server.start()
    except BaseException as error:
        log = server.log()
        server.stop()
        raise RuntimeError(f"the private PostgreSQL server did not start: {error}\n{log}") from None
    try:
        yield server
    finally:
        server.stop()
