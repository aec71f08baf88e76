"""A throwaway PostgreSQL server for the tests and the bench: ``initdb`` + ``pg_ctl`` in a temp folder.

The server listens on 127.0.0.1 only, on a free port, with its unix socket inside the folder.
Its binaries come from ``$SESSION_CORE_PG_BIN``, PATH or the usual Debian location
(``/usr/lib/postgresql/<v>/bin``).
PostgreSQL refuses to run as root, so as root the cluster belongs to the unprivileged ``nobody``
user and every server command runs as that user (``subprocess``'s ``user=``); nothing is added
to the machine. Roles:

* ``postgres``: the superuser, trusted (used here only to set the others up);
* ``session_core``: a trusted role owning the database ``session_core``, what the tests use;
* ``session_core_pw``: a role that must give :data:`PASSWORD` (scram), to test that
  credentials never leak.

``fsync`` is off: tests kill clients, never the machine, and the server must stay quick on a
loaded 2-core machine.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

DATABASE = "session_core"
ROLE = "session_core"
PASSWORD_ROLE = "session_core_pw"
PASSWORD = "pg-secret-do-not-leak"
#: A folder holding the server binaries to use instead of the ones found on PATH.
BIN_ENV = "SESSION_CORE_PG_BIN"
#: Generous: the machine is shared and initdb writes a whole cluster.
COMMAND_TIMEOUT_S = 180
HOW_TO_GET = (
    "install PostgreSQL's server binaries (Debian: apt-get install postgresql; they land in "
    "/usr/lib/postgresql/<version>/bin) or put initdb and pg_ctl on PATH"
)


class Unavailable(RuntimeError):
    """The server cannot be started on this machine; the message says how to fix that."""


def find_bin_dir() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``$SESSION_CORE_PG_BIN`` when set (to pick a
    version), else PATH, else the newest Debian version."""
    chosen = os.environ.get(BIN_ENV)
    if chosen is not None:
        return Path(chosen) if (Path(chosen) / "initdb").is_file() else None
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    return Path(candidates[-1]).parent if candidates else None


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a fresh temporary folder; ``start()``/``stop()`` as often as needed.

    Raises:
        Unavailable: no binaries, or root without the unprivileged ``nobody`` user.
    """

    def __init__(self) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise Unavailable(f"PostgreSQL server binaries not found: {HOW_TO_GET}")
        self.bin_dir = bin_dir
        self.run_as = self._unprivileged_user()
        self.folder = Path(tempfile.mkdtemp(prefix="session-core-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        if self.run_as is not None:
            os.chown(self.folder, self.run_as.pw_uid, self.run_as.pw_gid)
        self.running = False

    @staticmethod
    def _unprivileged_user() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam("nobody")
        except KeyError:
            raise Unavailable("running as root and there is no 'nobody' user to run PostgreSQL as") from None

    def _command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a server binary as the cluster's owner; a failure names its output."""
        user = None if self.run_as is None else self.run_as.pw_uid
        group = None if self.run_as is None else self.run_as.pw_gid
        result = subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, user=user, group=group,
            cwd=self.folder, env={**os.environ, "LC_ALL": "C", "PGTZ": "UTC"},
        )
        if result.returncode != 0:
            raise Unavailable(f"{args[0]} failed ({result.returncode}): {result.stdout}{result.stderr}")
        return result

    def url(self, role: str = ROLE, database: str = DATABASE, password: str | None = None, schema: str | None = None) -> str:
        """``postgresql://role[:password]@127.0.0.1:port/database[/schema]``."""
        auth = role if password is None else f"{role}:{password}"
        tail = "" if schema is None else f"/{schema}"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}{tail}"

    def start(self) -> None:
        """Create the cluster on first use, then start the server and wait until it accepts."""
        if not self.data.exists():
            self._init_cluster()
        self._command(
            "pg_ctl", "start", "-w", "-t", str(COMMAND_TIMEOUT_S), "-D", str(self.data),
            "-l", str(self.folder / "server.log"),
            "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                  "-c max_connections=200 -c full_page_writes=off",
        )
        self.running = True
        if not (self.folder / "roles-ready").exists():
            self._create_roles()

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended)."""
        if self.running:
            self._command("pg_ctl", "stop", "-w", "-m", "fast", "-t", str(COMMAND_TIMEOUT_S), "-D", str(self.data))
            self.running = False

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _init_cluster(self) -> None:
        self._command(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
            "-E", "UTF8", "--locale=C",
        )
        hba = self.data / "pg_hba.conf"
        hba.write_text(
            "local all all trust\n"
            f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
        )

    def _create_roles(self) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres", "postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {ROLE} LOGIN")
            conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
            conn.execute(f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
            conn.execute(f"GRANT CREATE, CONNECT ON DATABASE {DATABASE} TO {PASSWORD_ROLE}")
        (self.folder / "roles-ready").touch()

    def execute(self, statement: str, params: Any = None, database: str = DATABASE) -> list[tuple[Any, ...]]:
        """Run one statement as the superuser and return its rows (an oracle beside the store)."""
        import psycopg

        with psycopg.connect(self.url("postgres", database), autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
