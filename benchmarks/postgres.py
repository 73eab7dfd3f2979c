"""A private PostgreSQL cluster for the benchmark: Debian's ``postgresql`` package, started on
127.0.0.1 with a non-default port in a folder of its own, with default durability (fsync on)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

_AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def ensure_installed() -> Path:
    """The server's bin folder; installs Debian's ``postgresql`` with apt-get when missing."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], check=True, env=env)
        bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("apt-get install postgresql did not provide initdb")
    return bin_dir


class LocalPostgres:
    """One cluster in ``root`` (data, socket and log), listening on 127.0.0.1:``port``."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.bin = ensure_installed()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_AS_POSTGRES, *args], check=True, capture_output=True, text=True)

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        done = subprocess.run([*_AS_POSTGRES, str(self.bin / "pg_ctl"), "-D", str(self.data),
                               "status"], capture_output=True, text=True)
        return done.returncode == 0

    def start(self) -> None:
        """initdb (first time) and start; returns once the server accepts connections."""
        self.root.mkdir(parents=True, exist_ok=True)
        if _AS_POSTGRES:
            shutil.chown(self.root, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        if self.running():
            return
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                  "-o", opts, "-w", "-t", "60", "start")

    def stop(self) -> None:
        if self.running():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
