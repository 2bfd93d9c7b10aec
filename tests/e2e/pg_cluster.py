"""A throwaway PostgreSQL server for tests that stop and start it: its own data directory, port and socket.

Stopping the shared cluster that `.ci/run` starts would break other tests running against it, so the outage tests
get their own, made with Debian's (or any) PostgreSQL server binaries. initdb refuses to run as root: as root the
server runs as the `postgres` user (or `nobody`).
"""

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from typing import List, Optional

PASSWORD = "pg-s3cret-never-printed"  # trust auth ignores it; tests check it never reaches any output


def server_bindir() -> Optional[str]:
    """The directory holding initdb and pg_ctl, or None when no PostgreSQL server is installed."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    on_path = os.path.dirname(shutil.which("initdb") or "")
    for bindir in [*candidates, on_path]:
        if bindir and all(os.path.exists(os.path.join(bindir, tool)) for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


class PostgresCluster:
    """initdb into a temporary directory, start, stop, start again, remove."""

    def __init__(self, bindir: str) -> None:
        self.bindir = bindir
        self.root = tempfile.mkdtemp(prefix="zoho_pg_")
        os.chmod(self.root, 0o755)
        self.user = _server_user()
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.port = _free_port()
        self.data = os.path.join(self.root, "data")
        self.dsn = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.root, "log"), "-w", "start")

    def stop(self) -> None:
        """Stop the server at once (like a crash or an operator pulling it): clients get connection refused."""
        self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its files."""
        subprocess.run(self._command("pg_ctl", "-D", self.data, "-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(self._command(tool, *args), check=True, capture_output=True, cwd="/")

    def _command(self, tool: str, *args: str) -> List[str]:
        command = [os.path.join(self.bindir, tool), *args]
        if not self.user:
            return command
        return ["su", self.user, "-s", "/bin/sh", "-c", shlex.join(command)]


def _server_user() -> Optional[str]:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root without a postgres or nobody user to run PostgreSQL as")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
