"""A throwaway PostgreSQL server from the machine's own packages, on 127.0.0.1.

The test deployment keeps Dagster's runs, events and schedules in it, as the docker-compose stack
does. It is a new cluster in a temporary folder (``initdb``), started directly (so its PID is the
postmaster's) and removed on ``stop()``. ``initdb`` refuses to run as root, so when we are root
(CI) the cluster belongs to the ``postgres`` system user that Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .processes import ServerProcess, free_port, start_server, wait_until

POSTGRES_OS_USER = "postgres"
INSTALL_HINT = "install PostgreSQL (Debian: apt-get install postgresql; .ci/run does)"


@dataclass
class PostgresServer:
    server: ServerProcess
    folder: Path
    port: int
    user: str
    password: str
    database: str
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    def stop(self) -> None:
        """SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing is left running."""
        self.server.stop(signal.SIGINT)
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` (Debian's layout), else ``pg_config``'s."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout
        if (Path(bindir.strip()) / "initdb").exists():
            return Path(bindir.strip())
    raise RuntimeError(f"no PostgreSQL server programs (initdb, postgres) found: {INSTALL_HINT}")


def start_postgres(
    user: str = "dagster",
    password: str = "dagster",
    database: str = "dagster",
    timeout: float = 60,
    extra_env: Mapping[str, str] | None = None,
) -> PostgresServer:
    """A new cluster with ``user`` (password-protected over TCP) owning ``database``."""
    bin_dir = postgres_bin_dir()
    os_user = POSTGRES_OS_USER if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="awo-postgres-"))
    data = folder / "data"
    if os_user:
        account = pwd.getpwnam(os_user)
        os.chown(folder, account.pw_uid, account.pw_gid)
    password_file = folder / "password"
    password_file.write_text(password + "\n")
    if os_user:
        os.chown(password_file, account.pw_uid, account.pw_gid)
    initdb = subprocess.run(
        [
            str(bin_dir / "initdb"),
            f"--pgdata={data}",
            f"--username={user}",
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--encoding=UTF8",
            "--no-instructions",
        ],
        capture_output=True,
        text=True,
        user=os_user,
    )
    password_file.unlink()
    if initdb.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {initdb.stderr.strip()[-2000:]}")
    port = free_port()
    server = start_server(
        "postgres",
        [
            str(bin_dir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={folder}",
            # A throwaway database: surviving a machine crash is not what it is for.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
        ],
        folder / "postgres.log",
        env={**os.environ, **(extra_env or {})},
        user=os_user,
    )
    postgres = PostgresServer(server, folder, port, user, password, database)
    try:
        wait_until(lambda: _create_database(postgres), timeout, "PostgreSQL answering", server)
    except BaseException:
        postgres.stop()
        raise
    return postgres


def _create_database(postgres: PostgresServer) -> bool:
    import psycopg2

    try:
        connection = psycopg2.connect(
            host=postgres.host,
            port=postgres.port,
            user=postgres.user,
            password=postgres.password,
            dbname="postgres",
            connect_timeout=2,
        )
    except psycopg2.OperationalError:
        return False
    connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{postgres.database}" OWNER "{postgres.user}"')
    finally:
        connection.close()
    return True
