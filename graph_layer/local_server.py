"""A local Neo4j Community 5.26 LTS server, provisioned from Maven Central (no Docker).

``LocalNeo4j`` fetches the server jars once with Maven (``provision/pom.xml``) into a cache,
writes ``conf/neo4j.conf`` into an instance folder (``home``), starts
``org.neo4j.server.CommunityEntryPoint`` detached on 127.0.0.1 (Bolt + HTTP + Neo4j Browser),
and stops only the JVM it started (checked through ``/proc/<pid>/cmdline``).

Environment: ``GRAPH_LAYER_NEO4J_HOME``, ``GRAPH_LAYER_CACHE``, ``GRAPH_LAYER_BOLT_PORT``,
``GRAPH_LAYER_HTTP_PORT``, ``GRAPH_LAYER_JAVA``, ``GRAPH_LAYER_HEAP`` (default ``1g``),
``GRAPH_LAYER_PAGECACHE`` (default ``256m``; analytics on a large graph want the store in it),
``NEO4J_PASSWORD``.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import logging
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from graph_layer.browser_style import post_connect_command
from graph_layer.errors import ConfigurationError, GraphLayerError
from graph_layer.settings import DEFAULT_PASSWORD

__all__ = [
    "DEFAULT_PASSWORD",
    "JVM_FLAGS",
    "LocalNeo4j",
    "ServerError",
    "default_java",
    "java_major_version",
    "neo4j_version",
]

log = logging.getLogger(__name__)

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
USER = "neo4j"

DEFAULT_JAVA = Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java")
SUPPORTED_JAVA = (17, 21)
HOST = "127.0.0.1"
PID_FILE = "neo4j.pid"
MARKER = ".provisioned"

#: The ``neo4j.conf`` setting whose flags Neo4j's launcher adds to the JVM's (so does LocalNeo4j).
JVM_ADDITIONAL = "server.jvm.additional"

#: The JVM flags Neo4j's own launcher passes by default (its default ``server.jvm.additional``
#: lines), minus AlwaysPreTouch.
JVM_FLAGS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=262144",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
)


#: Settings LocalNeo4j writes from its own options, which ``--setting`` may not replace (the
#: launcher finds, waits for and stops the server by them), with what sets each instead.
OWN_SETTINGS: dict[str, str] = {
    **dict.fromkeys(("server.default_listen_address", "server.default_advertised_address"),
                    "the local server listens on 127.0.0.1 only"),
    **dict.fromkeys(("server.bolt.enabled", "server.bolt.listen_address",
                     "server.bolt.advertised_address"), "set GRAPH_LAYER_BOLT_PORT"),
    "server.bolt.tls_level": "the launcher checks the server over plain bolt:// on 127.0.0.1",
    **dict.fromkeys(("server.http.enabled", "server.http.listen_address",
                     "server.http.advertised_address"), "set GRAPH_LAYER_HTTP_PORT"),
    **dict.fromkeys(("server.memory.heap.initial_size", "server.memory.heap.max_size"),
                    "set GRAPH_LAYER_HEAP"),
    "server.memory.pagecache.size": "set GRAPH_LAYER_PAGECACHE",
    **dict.fromkeys((f"server.directories.{d}" for d in ("data", "logs", "run", "plugins", "lib")),
                    "set GRAPH_LAYER_NEO4J_HOME"),
    **dict.fromkeys(("server.logs.config", "server.logs.user.config"),
                    "edit the XML files in the home's conf/ folder (kept across starts)"),
}

#: A line of a Java stack trace ("\tat pkg.Class.method(File.java:1)", "\t... 5 more").
_JAVA_FRAME = re.compile(r"\s+(at [\w$.<>/]+\(.*\)|\.\.\. \d+ more)\s*$")

_SETTING_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+")


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs (``graph-layer neo4j start --setting``) as ``extra_settings``.

    Refuses, naming the pair: no ``=``, a name that is not a setting's, a value of more than
    one line, a name given twice (``server.jvm.additional`` adds up instead, as its lines do
    in ``neo4j.conf``), and a setting in ``OWN_SETTINGS``. Neo4j itself refuses a name it does
    not know at start-up."""
    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _SETTING_NAME.fullmatch(key) or "\n" in value or "\r" in value:
            raise ConfigurationError(f"--setting {pair!r}: expected NAME=VALUE on one line, "
                                     "with a Neo4j setting's name, e.g. "
                                     "db.checkpoint.iops.limit=1000")
        if key in OWN_SETTINGS:
            raise ConfigurationError(f"--setting {pair!r}: graph-layer sets {key} itself; "
                                     f"{OWN_SETTINGS[key]}")
        if key in settings and key != JVM_ADDITIONAL:  # Neo4j adds up that one's lines
            raise ConfigurationError(f"--setting {key} is given twice")
        settings[key] = f"{settings[key]} {value}" if key in settings else value
    return settings


class ServerError(GraphLayerError):
    """The local Neo4j could not be provisioned, started or stopped (port in use included)."""


# --------------------------------------------------------------------------- provisioning data


def _resource(name: str) -> str:
    """Text of a file shipped in ``graph_layer/provision/``."""
    return (resources.files("graph_layer") / "provision" / name).read_text(encoding="utf-8")


@functools.cache
def neo4j_version() -> str:
    """The Neo4j version pinned by ``provision/pom.xml`` (property ``neo4j.version``)."""
    root = ET.fromstring(_resource("pom.xml"))
    node = root.find("{http://maven.apache.org/POM/4.0.0}properties/"
                     "{http://maven.apache.org/POM/4.0.0}neo4j.version")
    if node is None or not (node.text or "").strip():
        raise ConfigurationError("provision/pom.xml has no <neo4j.version> property")
    return (node.text or "").strip()


# --------------------------------------------------------------------------------- Java


def _release_major(jdk_home: Path) -> int | None:
    """Major version from a JDK's ``release`` file, without running it."""
    try:
        text = (jdk_home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', text, re.MULTILINE)
    return int(match.group(1)) if match else None


def default_java() -> Path:
    """``GRAPH_LAYER_JAVA``, else Debian's Java 17, else a Java 17 (then 21) under /usr/lib/jvm."""
    env = os.environ.get("GRAPH_LAYER_JAVA")
    if env:
        return Path(env).expanduser()
    if DEFAULT_JAVA.is_file():
        return DEFAULT_JAVA
    candidates = sorted(Path("/usr/lib/jvm").glob("*/bin/java"))
    for wanted in SUPPORTED_JAVA:
        for java in candidates:
            if not java.parent.parent.is_symlink() and _release_major(java.parent.parent) == wanted:
                return java
    return DEFAULT_JAVA


def java_major_version(java: Path) -> int:
    """Run ``java -version`` and return the major version; ConfigurationError if unusable."""
    if not (java.is_file() and os.access(java, os.X_OK)):
        raise ConfigurationError(
            f"no Java at {java}: Neo4j 5.26 needs Java 17 or 21 "
            "(apt-get install openjdk-17-jre-headless, or set GRAPH_LAYER_JAVA)")
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True,
                             timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigurationError(f"could not run {java} -version: {err}") from err
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise ConfigurationError(f"could not read the version of {java}: {out.stderr.strip()!r}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0" style
        major = int(match.group(2))
    return major


# ------------------------------------------------------------------------------- helpers


def _env_port(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a port number") from None
    return port


def _env_memory(name: str, default: str) -> str:
    raw = os.environ.get(name)
    if not raw:
        return default
    if not re.fullmatch(r"[1-9][0-9]*[kmgKMG]?", raw.strip()):
        raise ConfigurationError(f"{name}={raw!r} is not a memory size such as 512m or 2g")
    return raw.strip().lower()


def _default_home() -> Path:
    env = os.environ.get("GRAPH_LAYER_NEO4J_HOME")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "graph-layer" / "neo4j"


def _default_cache() -> Path:
    env = os.environ.get("GRAPH_LAYER_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "graph-layer"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if missing), across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _port_taken(port: int) -> bool:
    """Whether binding ``127.0.0.1:port`` fails (SO_REUSEADDR, like the JVM's server sockets)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return True
    return False


def _tail(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a (possibly large) text file, or '' if unreadable."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 64 * 1024))
            data = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def _reap(pid: int) -> None:
    """Collect ``pid`` if it is our exited child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _thread_states(pid: int) -> list[str]:
    """One-letter states of the threads of ``pid`` ([] if it is gone)."""
    states = []
    with contextlib.suppress(OSError):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError, IndexError):
                stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
                states.append(stat.rsplit(")", 1)[1].split()[0])
    return states


def _alive(pid: int) -> bool:
    """Whether a thread of ``pid`` still runs.

    A JVM's main thread can be a zombie while other threads finish the exit, so the
    process-level state alone would report it dead too early.
    """
    _reap(pid)
    if any(state not in ("Z", "X") for state in _thread_states(pid)):
        return True
    _reap(pid)
    return False


def _cmdline(pid: int) -> list[str]:
    """Arguments of ``pid`` ([] while unreadable, e.g. during exec or exit)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0") if raw else []


# ------------------------------------------------------------------------------ the server


@dataclass
class LocalNeo4j:
    """One local Neo4j instance: its folder, ports, password, and the Java that runs it."""

    home: Path = field(default_factory=_default_home)
    bolt_port: int = field(default_factory=lambda: _env_port("GRAPH_LAYER_BOLT_PORT", 7687))
    http_port: int = field(default_factory=lambda: _env_port("GRAPH_LAYER_HTTP_PORT", 7474))
    password: str = field(
        default_factory=lambda: os.environ.get("NEO4J_PASSWORD") or DEFAULT_PASSWORD, repr=False)
    java: Path = field(default_factory=default_java)
    cache: Path = field(default_factory=_default_cache)
    heap: str = field(default_factory=lambda: _env_memory("GRAPH_LAYER_HEAP", "1g"))
    pagecache: str = field(default_factory=lambda: _env_memory("GRAPH_LAYER_PAGECACHE", "256m"))
    #: Settings added to (or replacing) the generated ones, e.g. to compare configurations;
    #: ``server.jvm.additional`` also adds its flags to the JVM's (``jvm_flags``).
    extra_settings: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser().absolute()
        self.cache = Path(self.cache).expanduser().absolute()
        self.java = Path(self.java).expanduser()
        for name, port in (("bolt_port", self.bolt_port), ("http_port", self.http_port)):
            if not 0 < port < 65536:
                raise ConfigurationError(f"{name}={port} is not a TCP port")
        if self.bolt_port == self.http_port:
            raise ConfigurationError(f"Bolt and HTTP cannot share port {self.bolt_port}")

    @classmethod
    def from_env(cls, settings: dict[str, str] | None = None) -> LocalNeo4j:
        """An instance configured from the environment (see module docstring), plus
        ``settings`` (``extra_settings``) if given."""
        return cls(extra_settings=dict(settings or {}))

    # ------------------------------------------------------------------ addresses and paths

    @property
    def uri(self) -> str:
        """Bolt URI, ``bolt://127.0.0.1:<bolt_port>``."""
        return f"bolt://{HOST}:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        """Neo4j Browser, ``http://127.0.0.1:<http_port>/browser/``."""
        return f"http://{HOST}:{self.http_port}/browser/"

    @property
    def auth(self) -> tuple[str, str]:
        """``(user, password)`` for the driver."""
        return (USER, self.password)

    @property
    def dist_dir(self) -> Path:
        """Cache folder of this Neo4j version (``<cache>/neo4j-<version>``)."""
        return self.cache / f"neo4j-{neo4j_version()}"

    @property
    def lib_dir(self) -> Path:
        """Where the server jars are (after ``provision()``)."""
        return self.dist_dir / "lib"

    @property
    def pid_file(self) -> Path:
        """``<home>/run/neo4j.pid``, written by ``start()``."""
        return self.home / "run" / PID_FILE

    # ------------------------------------------------------------------------- provisioning

    def check_java(self) -> int:
        """The Java major version, or ConfigurationError unless it is 17 or 21."""
        major = java_major_version(self.java)
        if major not in SUPPORTED_JAVA:
            raise ConfigurationError(
                f"{self.java} is Java {major}; Neo4j {neo4j_version()} needs Java 17 or 21 "
                "(set GRAPH_LAYER_JAVA to one)")
        return major

    def provision(self) -> Path:
        """Fetch the server jars with Maven into the cache once; return the lib folder."""
        pom = _resource("pom.xml")
        # Comments and layout do not count: only a change of what Maven resolves re-provisions.
        canonical = ET.canonicalize(pom, strip_text=True, with_comments=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        dist, lib = self.dist_dir, self.lib_dir
        marker = dist / MARKER
        if self._provisioned(marker, digest, lib):
            return lib
        with _file_lock(dist / ".lock"):
            if self._provisioned(marker, digest, lib):
                return lib
            mvn = shutil.which("mvn")
            if mvn is None:
                raise ConfigurationError(
                    "Maven (mvn) is needed once to fetch Neo4j from Maven Central "
                    "(apt-get install maven)")
            self.check_java()
            (dist / "pom.xml").write_text(pom, encoding="utf-8")
            partial = dist / "lib.partial"
            shutil.rmtree(partial, ignore_errors=True)
            marker.unlink(missing_ok=True)
            cmd = [mvn, "-q", "-B", "-f", str(dist / "pom.xml"),
                   "dependency:copy-dependencies", "-DincludeScope=runtime",
                   f"-DoutputDirectory={partial}"]
            env = dict(os.environ, JAVA_HOME=str(self.java.resolve().parent.parent))
            log.info(f"Fetching Neo4j {neo4j_version()} from Maven Central into {lib} ...")
            started = time.monotonic()
            try:
                done = subprocess.run(cmd, cwd=dist, env=env, capture_output=True, text=True,
                                      timeout=3600, check=False)
            except (OSError, subprocess.TimeoutExpired) as err:
                raise ServerError(f"Maven failed to fetch Neo4j: {err}") from err
            if done.returncode != 0:
                output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
                raise ServerError(f"Maven failed to fetch Neo4j (exit {done.returncode}):\n"
                                  f"{' '.join(cmd)}\n{output}")
            for prefix in ("neo4j-server-", "neo4j-command-line-", "neo4j-browser-"):
                if not any(partial.glob(f"{prefix}*.jar")):
                    raise ServerError(f"Maven finished but {partial} has no {prefix}*.jar")
            shutil.rmtree(lib, ignore_errors=True)
            partial.rename(lib)
            marker.write_text(digest + "\n", encoding="utf-8")
            jars = len(list(lib.glob("*.jar")))
            log.info(f"Fetched {jars} jars in {time.monotonic() - started:.1f}s")
        return lib

    @staticmethod
    def _provisioned(marker: Path, digest: str, lib: Path) -> bool:
        try:
            return marker.read_text(encoding="utf-8").strip() == digest and lib.is_dir()
        except OSError:
            return False

    # ------------------------------------------------------------------------ configuration

    def settings(self, lib: Path) -> dict[str, str]:
        """The ``neo4j.conf`` settings written on every start: ``base_settings``, then
        ``extra_settings``."""
        return self.base_settings(lib) | self.extra_settings

    def base_settings(self, lib: Path) -> dict[str, str]:
        """The settings LocalNeo4j generates (all keys Neo4j 5.26 knows)."""
        home = self.home
        return {
            "server.default_listen_address": HOST,
            "server.default_advertised_address": HOST,
            "server.bolt.enabled": "true",
            "server.bolt.listen_address": f":{self.bolt_port}",
            "server.bolt.advertised_address": f":{self.bolt_port}",
            "server.http.enabled": "true",
            "server.http.listen_address": f":{self.http_port}",
            "server.http.advertised_address": f":{self.http_port}",
            "server.https.enabled": "false",
            "dbms.security.auth_enabled": "true",
            "server.memory.heap.initial_size": self.heap,
            "server.memory.heap.max_size": self.heap,
            "server.memory.pagecache.size": self.pagecache,
            "dbms.memory.transaction.total.max": "512m",
            "db.tx_log.rotation.size": "32m",
            "db.tx_log.rotation.retention_policy": "1 files",
            "db.tx_log.preallocate": "false",
            "dbms.usage_report.enabled": "false",
            # Keep-alive NOOPs only while a result streams (default ALL). With ALL the server
            # also hints a receive timeout, and the Python driver then wraps every socket read
            # in asyncio.wait_for: 8-29% of its CPU per call here (python -m benchmarks.keep_alive).
            "server.bolt.connection_keep_alive_for_requests": "STREAMING",
            # The eventually consistent full-text indexes (schema/004) open a new Lucene reader
            # at most once a second instead of after every write (default 0s): each refresh
            # flushes a tiny segment that Lucene then merges, 4-10 ms of server CPU per message
            # write here (python -m benchmarks.fulltext_refresh). The search still sees every
            # write: its awaitEventuallyConsistentIndexRefresh() refreshes the indexes itself.
            "db.index.fulltext.eventually_consistent_refresh_interval": "1s",
            "client.allow_telemetry": "false",  # Browser's product analytics
            # Browser applies our GraSS style each time it connects (README: Neo4j Browser).
            "browser.post_connect_cmd": post_connect_command(),
            "server.directories.data": str(home / "data"),
            "server.directories.logs": str(home / "logs"),
            "server.directories.run": str(home / "run"),
            "server.directories.plugins": str(home / "plugins"),
            "server.directories.lib": str(lib),
            "server.logs.config": str(home / "conf" / "server-logs.xml"),
            "server.logs.user.config": str(home / "conf" / "user-logs.xml"),
            # Bolt's Netty event loops wait this many quiet seconds (x2) on shutdown (default 5).
            "internal.dbms.bolt.netty_server_shutdown_quiet_period": "1",
        }

    def write_config(self, lib: Path) -> Path:
        """Write ``conf/neo4j.conf`` (always) and the log4j files (only if missing)."""
        conf = self.home / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        settings = self.settings(lib)
        for key, value in settings.items():
            if "\n" in value or "\r" in value:
                raise ConfigurationError(f"setting {key}={value!r}: a value must be one line")
        lines = ["# Generated by graph_layer.local_server on every start: edits are overwritten.",
                 *(f"{key}={value}" for key, value in settings.items())]
        path = conf / "neo4j.conf"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for name in ("server-logs.xml", "user-logs.xml"):
            if not (conf / name).exists():
                (conf / name).write_text(_resource(name), encoding="utf-8")
        return path

    def _configured(self) -> dict[str, str]:
        """The settings in the current ``conf/neo4j.conf`` (empty if it cannot be read)."""
        try:
            text = (self.home / "conf" / "neo4j.conf").read_text(encoding="utf-8")
        except OSError:
            return {}
        return dict(re.findall(r"^([^#=\s][^=\n]*?)\s*=(.*)$", text, re.MULTILINE))

    def _running_settings(self, conf: dict[str, str]) -> dict[str, str]:
        """The settings of ``conf`` (``_configured()``) that differ from the generated ones
        (given to the start that wrote it)."""
        base = self.base_settings(self.lib_dir)
        return {k: v for k, v in conf.items() if base.get(k, "").strip() != v.strip()}

    @staticmethod
    def _configured_ports(conf: dict[str, str]) -> tuple[int, int] | None:
        """(Bolt, HTTP) ports in ``conf`` (``_configured()``), if it names both."""
        found = [re.fullmatch(r".*:(\d+)\s*", conf.get(f"server.{kind}.listen_address", ""))
                 for kind in ("bolt", "http")]
        if found[0] is None or found[1] is None:
            return None
        return int(found[0].group(1)), int(found[1].group(1))

    def _set_initial_password(self, lib: Path) -> None:
        """``neo4j-admin dbms set-initial-password`` (AdminTool); only before the first start."""
        if len(self.password) < 8:
            raise ConfigurationError("the Neo4j password must have at least 8 characters")
        env = self._java_env()
        cmd = [str(self.java), "-Xmx256m", "-XX:+UseSerialGC", "-cp", f"{lib}/*", ADMIN_TOOL,
               "dbms", "set-initial-password", self.password]
        try:
            done = subprocess.run(cmd, env=env, cwd=self.home, capture_output=True, text=True,
                                  timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise ServerError(f"could not set the initial Neo4j password: {err}") from err
        if done.returncode != 0:
            said = "\n".join(line for line in (done.stdout + done.stderr).strip().splitlines()
                             if not _JAVA_FRAME.match(line))
            raise ServerError("could not set the initial Neo4j password "
                              f"(neo4j-admin, exit {done.returncode}): {said}")

    def _java_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
        env["NEO4J_HOME"] = str(self.home)
        env["NEO4J_CONF"] = str(self.home / "conf")
        return env

    # ------------------------------------------------------------------------------ process

    def _is_ours(self, pid: int) -> bool:
        """Whether ``pid`` is a live CommunityEntryPoint JVM for this ``home``."""
        for _ in range(50):
            if not _alive(pid):
                return False
            args = _cmdline(pid)
            if args:
                return ENTRY_POINT in args and f"--home-dir={self.home}" in args
            time.sleep(0.02)  # empty for a moment while a process execs or exits
        return False

    def pid(self) -> int | None:
        """PID of our running server, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if self._is_ours(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def is_running(self) -> bool:
        """Whether our server process runs (it may still be starting)."""
        return self.pid() is not None

    def status(self) -> dict[str, Any]:
        """What runs where: running, pid, uri, browser_url, home, version, ports, lib, and the
        running server's settings other than the generated ones (``--setting``)."""
        pid = self.pid()
        return {
            "running": pid is not None,
            "pid": pid,
            "uri": self.uri,
            "browser_url": self.browser_url,
            "user": USER,
            "home": str(self.home),
            "version": neo4j_version(),
            "bolt_port": self.bolt_port,
            "http_port": self.http_port,
            "lib": str(self.lib_dir),
            "provisioned": (self.dist_dir / MARKER).is_file(),
            "settings": self._running_settings(self._configured()) if pid is not None else {},
        }

    def logs_tail(self, lines: int = 25) -> str:
        """The last lines of console.log, neo4j.log and debug.log, for error messages."""
        parts = []
        for name in ("console.log", "neo4j.log", "debug.log"):
            text = _tail(self.home / "logs" / name, lines)
            if text.strip():
                parts.append(f"--- {self.home / 'logs' / name} (tail) ---\n{text}")
        return "\n".join(parts) or f"(no logs in {self.home / 'logs'})"

    def start(self, timeout: float = 120) -> str:
        """Start the server (provisioning it first if needed) and wait until Bolt answers.

        Idempotent: if our server already runs, wait for it and return. ``timeout`` counts
        from the JVM launch (a first, cold provisioning is not included).
        """
        for sub in ("conf", "data", "logs", "run", "plugins"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        with _file_lock(self.home / "run" / "start.lock"):
            pid = self.pid()
            if pid is not None:
                conf = self._configured()
                running = self._configured_ports(conf)
                if running not in (None, (self.bolt_port, self.http_port)):
                    raise ServerError(
                        f"Neo4j already runs from {self.home} (pid {pid}) on Bolt/HTTP ports "
                        f"{running[0]}/{running[1]}, not {self.bolt_port}/{self.http_port}: "
                        "stop it first, or use the same ports")
                other = {k: conf.get(k) for k, v in self.extra_settings.items()
                         if conf.get(k, "").strip() != v.strip()}
                if other:
                    raise ServerError(
                        f"Neo4j already runs from {self.home} (pid {pid}) with other values of "
                        f"{other} (None: graph-layer's or Neo4j's default): stop it first to "
                        "change settings")
                self._wait_ready(pid, time.monotonic() + timeout, kill_on_failure=False)
                return self._describe(pid, "already running", self._running_settings(conf))
            for what, port in (("Bolt", self.bolt_port), ("HTTP", self.http_port)):
                if _port_taken(port):
                    raise ServerError(
                        f"port {port} ({what}) on {HOST} is already in use by another process; "
                        f"stop it or pick another port (GRAPH_LAYER_{what.upper()}_PORT)")
            self.check_java()
            lib = self.provision()
            self.write_config(lib)
            if not (self.home / "data" / "databases" / "system").exists():
                self._set_initial_password(lib)
            started = time.monotonic()
            pid = self._launch(lib)
            self._wait_ready(pid, started + timeout, kill_on_failure=True)
            return self._describe(pid, f"started in {time.monotonic() - started:.1f}s",
                                  self.extra_settings)

    def jvm_flags(self, lib: Path) -> list[str]:
        """The JVM's flags: the heap, Neo4j's launcher defaults, then the flags of the
        ``server.jvm.additional`` setting, split as a shell would (Neo4j too reads one flag per
        word; quote a flag with spaces); the later of two flags wins."""
        value = self.settings(lib).get(JVM_ADDITIONAL, "")
        try:
            additional = shlex.split(value)
        except ValueError as err:  # an unclosed quote
            raise ConfigurationError(f"setting {JVM_ADDITIONAL}={value!r}: {err}") from err
        return [f"-Xms{self.heap}", f"-Xmx{self.heap}", *JVM_FLAGS, *additional]

    def _launch(self, lib: Path) -> int:
        cmd = [str(self.java), *self.jvm_flags(lib),
               "-cp", f"{lib}/*:{self.home / 'plugins'}/*", ENTRY_POINT,
               f"--home-dir={self.home}", f"--config-dir={self.home / 'conf'}"]
        console = self.home / "logs" / "console.log"
        with console.open("ab") as out:
            out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: "
                      f"{' '.join(cmd)}\n".encode())
            out.flush()
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=subprocess.STDOUT, cwd=self.home,
                                        env=self._java_env(), start_new_session=True)
            except OSError as err:
                raise ServerError(f"could not run {self.java}: {err}") from err
        self.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
        log.info(f"Neo4j {neo4j_version()} launched (pid {proc.pid}); waiting for Bolt")
        return proc.pid

    def _wait_ready(self, pid: int, deadline: float, *, kill_on_failure: bool) -> None:
        """Until Bolt answers an authenticated ``RETURN 1`` and HTTP answers 200."""
        last = "not tried yet"
        bolt_ok = False
        while True:
            if not _alive(pid):
                self.pid_file.unlink(missing_ok=True)
                raise ServerError(
                    f"Neo4j (pid {pid}) exited during start-up.\n{self.logs_tail()}")
            try:
                if not bolt_ok:
                    bolt_ok, last = self._bolt_answers()
                if bolt_ok:
                    http_ok, last = self._http_answers()
                    if http_ok:
                        return
            except ServerError:
                if kill_on_failure:
                    self._signal_and_wait(pid, signal.SIGTERM, 60)
                raise
            if time.monotonic() >= deadline:
                if kill_on_failure:
                    self._signal_and_wait(pid, signal.SIGTERM, 60)
                raise ServerError(f"Neo4j (pid {pid}) did not answer on {self.uri} in time "
                                  f"(last error: {last}).\n{self.logs_tail()}")
            time.sleep(0.5)

    def _bolt_answers(self) -> tuple[bool, str]:
        from neo4j import GraphDatabase
        from neo4j.exceptions import AuthError, DriverError, Neo4jError

        try:
            with (
                GraphDatabase.driver(self.uri, auth=self.auth, connection_timeout=3.0,
                                     connection_acquisition_timeout=5.0,
                                     max_connection_pool_size=1) as driver,
                driver.session(database="neo4j") as session,
            ):
                session.run("RETURN 1").single(strict=True)
            return True, ""
        except AuthError as err:
            raise ServerError(
                f"Neo4j at {self.uri} refused user {USER!r} with this password: the data in "
                f"{self.home / 'data'} was created with another one (set NEO4J_PASSWORD). "
                f"{err}") from err
        except (DriverError, Neo4jError, OSError) as err:
            return False, f"{type(err).__name__}: {err}"

    def _http_answers(self) -> tuple[bool, str]:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.http_port}/", timeout=3) as resp:
                return resp.status == 200, f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as err:
            return False, f"HTTP: {err}"

    def _describe(self, pid: int, what: str, settings: dict[str, str]) -> str:
        return (f"Neo4j {neo4j_version()} {what} (pid {pid})\n"
                f"  Bolt:    {self.uri}  (user {USER})\n"
                f"  Browser: {self.browser_url}\n"
                f"  Home:    {self.home}"
                + "".join(f"\n  Setting: {k}={v}" for k, v in settings.items()))

    def _signal_and_wait(self, pid: int, sig: int, timeout: float) -> bool:
        """Send ``sig``, wait up to ``timeout`` for the exit, then SIGKILL. True if it ended."""
        steps = [(sig, timeout)]
        if sig != signal.SIGKILL:
            steps.append((signal.SIGKILL, 30.0))
        for current, wait in steps:
            if current != sig:
                log.warning("Neo4j (pid %s) still runs after %.0fs: SIGKILL", pid, timeout)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, current)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not _alive(pid):
                    self.pid_file.unlink(missing_ok=True)
                    return True
                time.sleep(0.1)
        return False

    def stop(self, timeout: float = 60) -> bool:
        """Stop our server: SIGTERM, then SIGKILL after ``timeout``. False if it was not running."""
        return self.kill(signal.SIGTERM, timeout)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 30.0) -> bool:
        """Send ``sig`` (default SIGKILL: a crash) to our server and wait for it to die (then
        SIGKILL it, after ``timeout``, if ``sig`` was not).

        Data stays in ``home``; the next ``start()`` recovers it. False if it was not running.
        """
        pid = self.pid()
        if pid is None:
            return False
        name = signal.Signals(sig).name if sig in set(signal.Signals) else f"signal {sig}"
        if not self._signal_and_wait(pid, sig, timeout):
            also = "" if sig == signal.SIGKILL else ", nor after SIGKILL"
            raise ServerError(f"Neo4j (pid {pid}) did not exit after {name}{also}")
        log.info(f"Neo4j (pid {pid}) ended ({name})")
        return True
