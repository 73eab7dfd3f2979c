"""The local Neo4j server for real (JVM from Maven Central jars, no mocks).

One server in a temporary home on free ports serves the whole module; every test first calls
the idempotent ``start()``, so each one also runs alone. The jars are provisioned once into the
user cache (``GRAPH_LAYER_CACHE``), so only the very first run pays for the Maven download.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError
from playwright.sync_api import Browser, expect

from graph_layer.browser_style import parse_grass, style_path
from graph_layer.errors import ConfigurationError, GraphLayerError
from graph_layer.local_server import (
    JVM_ADDITIONAL,
    LocalNeo4j,
    ServerError,
    neo4j_version,
    parse_settings,
)
from tests.conftest import free_port

# Generous: a start takes ~10 s on an idle 2-core machine, minutes when it is saturated.
START_TIMEOUT = 300.0
pytestmark = [pytest.mark.server, pytest.mark.timeout(900)]

PASSWORD = "local-server-test"
#: Flags the module's server adds through ``server.jvm.additional``, as a user would.
JVM_EXTRA = ("-Dgraph_layer.local_server_test=on", "-Dgraph_layer.second_flag=on")


def _ports() -> tuple[int, int]:
    bolt = free_port()
    http = free_port()
    while http == bolt:
        http = free_port()
    return bolt, http


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4j]:
    bolt, http = _ports()
    srv = LocalNeo4j(home=tmp_path_factory.mktemp("neo4j-home"), bolt_port=bolt, http_port=http,
                     password=PASSWORD, extra_settings={JVM_ADDITIONAL: " ".join(JVM_EXTRA)})
    try:
        yield srv
    finally:
        srv.stop()


def _run(srv: LocalNeo4j, query: str, **params: object) -> list[dict[str, object]]:
    with GraphDatabase.driver(srv.uri, auth=srv.auth) as driver:
        records, _, _ = driver.execute_query(query, params, database_="neo4j")
    return [record.data() for record in records]


def _write_marker(srv: LocalNeo4j) -> str:
    key = str(uuid.uuid4())
    _run(srv, "CREATE (:LocalServerTest {key: $key})", key=key)
    return key


def _has_marker(srv: LocalNeo4j, key: str) -> bool:
    rows = _run(srv, "MATCH (n:LocalServerTest {key: $key}) RETURN count(n) AS c", key=key)
    return rows == [{"c": 1}]


def _gone(pid: int) -> bool:
    """No such process (a just-exited child may need a moment to be reaped)."""
    deadline = time.monotonic() + 5
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.05)
    return not Path(f"/proc/{pid}").exists()


def test_start_answers_bolt_with_the_password(server: LocalNeo4j) -> None:
    message = server.start(START_TIMEOUT)
    assert server.uri in message and server.browser_url in message
    assert _run(server, "RETURN 1 AS one") == [{"one": 1}]
    rows = _run(server, "CALL dbms.components() YIELD versions, edition RETURN *")
    assert rows == [{"versions": [neo4j_version()], "edition": "community"}]
    with (
        GraphDatabase.driver(server.uri, auth=("neo4j", "wrong-password")) as driver,
        pytest.raises(AuthError),
    ):
        driver.verify_connectivity()


def _setting(srv: LocalNeo4j, name: str) -> list[dict[str, object]]:
    return _run(srv, "SHOW SETTINGS YIELD name, value WHERE name = $name RETURN value", name=name)


def test_bolt_keep_alive_is_for_streaming_results_only(server: LocalNeo4j) -> None:
    """The running server keeps connections alive only while a result streams: with Neo4j's
    default (ALL) it would also hint a receive timeout, and the async driver would then wrap
    every socket read in ``asyncio.wait_for`` (``python -m benchmarks.keep_alive``)."""
    server.start(START_TIMEOUT)
    assert _setting(server, "server.bolt.connection_keep_alive_for_requests") == [
        {"value": "STREAMING"}]


def test_fulltext_indexes_refresh_once_a_second_not_after_every_write(
        server: LocalNeo4j) -> None:
    """The running server refreshes its eventually consistent full-text indexes on a timer:
    with Neo4j's default (0s) every message write flushes and merges a Lucene segment
    (``python -m benchmarks.fulltext_refresh``). A search still sees each write at once
    (``tests/test_threads.py``, against the server CI starts with these settings)."""
    server.start(START_TIMEOUT)
    assert _setting(server, "db.index.fulltext.eventually_consistent_refresh_interval") == [
        {"value": "1s"}]


def test_server_jvm_additional_flags_reach_the_jvm_after_the_defaults(
        server: LocalNeo4j) -> None:
    """``server.jvm.additional`` works as with Neo4j's own launcher: its flags are on the
    JVM's command line, after the defaults (so they win), and Neo4j accepts the setting."""
    server.start(START_TIMEOUT)
    pid = server.pid()
    assert pid is not None
    args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    flags = args[1:args.index("-cp")]
    assert flags[-len(JVM_EXTRA):] == list(JVM_EXTRA)  # last: of two flags, the later wins
    [row] = _setting(server, JVM_ADDITIONAL)  # Neo4j too reads one flag per word
    assert str(row["value"]).split() == list(JVM_EXTRA)


def test_jvm_additional_is_split_as_a_shell_would_and_one_line(tmp_path: Path) -> None:
    """A quoted flag keeps its spaces; a value over two lines would break ``neo4j.conf``, so it
    is refused with the setting's name before anything is written, as is an unclosed quote."""
    quoted = LocalNeo4j(home=tmp_path, bolt_port=free_port(), http_port=free_port(),
                        extra_settings={JVM_ADDITIONAL: '-Da=1 "-XX:OnError=echo a b"'})
    assert quoted.jvm_flags(tmp_path / "lib")[-2:] == ["-Da=1", "-XX:OnError=echo a b"]
    two_lines = LocalNeo4j(home=tmp_path, bolt_port=free_port(), http_port=free_port(),
                           extra_settings={JVM_ADDITIONAL: "-Da=1\n-Db=2"})
    with pytest.raises(ConfigurationError, match=r"server\.jvm\.additional=.*must be one line"):
        two_lines.write_config(tmp_path / "lib")
    assert not (tmp_path / "conf" / "neo4j.conf").exists()
    unclosed = LocalNeo4j(home=tmp_path, bolt_port=free_port(), http_port=free_port(),
                          extra_settings={JVM_ADDITIONAL: '"-Da=1'})
    with pytest.raises(ConfigurationError, match="No closing quotation"):
        unclosed.jvm_flags(tmp_path / "lib")


def _cli(srv: LocalNeo4j, *args: str) -> subprocess.CompletedProcess[str]:
    """``graph-layer neo4j ARGS`` for the server in ``srv``'s home, as a user runs it."""
    env = {**os.environ, "GRAPH_LAYER_NEO4J_HOME": str(srv.home), "NEO4J_PASSWORD": PASSWORD,
           "GRAPH_LAYER_BOLT_PORT": str(srv.bolt_port),
           "GRAPH_LAYER_HTTP_PORT": str(srv.http_port), "COLUMNS": "500"}  # rich: no wrapping
    return subprocess.run([sys.executable, "-m", "graph_layer.cli", "neo4j", *args], env=env,
                          capture_output=True, text=True, timeout=START_TIMEOUT + 60, check=False)


def test_start_settings_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    """``--setting NAME=VALUE`` pairs: ``server.jvm.additional`` adds up as its lines do in
    ``neo4j.conf``; a malformed pair, a name given twice, and a setting the launcher owns
    (it finds and stops the server by them) are refused with the pair, and nothing is written;
    a name Neo4j does not know stops a first start before any database exists."""
    assert parse_settings(["db.checkpoint.iops.limit = 1000", f"{JVM_ADDITIONAL}=-Da=1",
                           f"{JVM_ADDITIONAL}=-Db=2"]) == {
        "db.checkpoint.iops.limit": "1000", JVM_ADDITIONAL: "-Da=1 -Db=2"}
    for pair, error in (("db.checkpoint.iops.limit", "expected NAME=VALUE"),
                        ("=1", "expected NAME=VALUE"), ("limit=1", "expected NAME=VALUE"),
                        ("db.x y=1", "expected NAME=VALUE"), ("db.a.b=1\n2", "on one line"),
                        ("server.bolt.tls_level=REQUIRED", "plain bolt://"),
                        ("server.bolt.listen_address=:7000", "GRAPH_LAYER_BOLT_PORT"),
                        ("server.memory.pagecache.size=1g", "GRAPH_LAYER_PAGECACHE"),
                        ("server.directories.data=/tmp", "GRAPH_LAYER_NEO4J_HOME")):
        with pytest.raises(ConfigurationError, match=error):
            parse_settings([pair])
    with pytest.raises(ConfigurationError, match=r"db\.a\.b is given twice"):
        parse_settings(["db.a.b=1", "db.a.b=2"])
    srv = LocalNeo4j(home=tmp_path / "home", bolt_port=free_port(), http_port=free_port())
    done = _cli(srv, "start", "--setting", "server.http.listen_address=:8000")
    assert done.returncode == 1
    assert "graph-layer sets server.http.listen_address itself" in done.stderr
    assert not srv.home.exists()
    unknown = _cli(srv, "start", "--setting", "db.no_such_setting=1")  # a new home
    assert unknown.returncode == 1
    assert "No declared setting with name: db.no_such_setting" in unknown.stderr
    assert not [line for line in unknown.stderr.splitlines()  # Neo4j's message, no stack
                if line.lstrip().startswith("at org.neo4j")]
    assert not (srv.home / "data" / "databases").exists()


def test_cli_start_applies_settings_for_that_start(server: LocalNeo4j) -> None:
    """``graph-layer neo4j start --setting``: refused while the server runs with other values
    (left running); after a stop, the server runs with them, and a start that asks for none
    says so; a name Neo4j does not know fails the start with Neo4j's own error."""
    server.start(START_TIMEOUT)
    pid = server.pid()
    refused = _cli(server, "start", "--setting", "db.checkpoint.iops.limit=1234")
    assert refused.returncode == 1, refused.stderr
    assert "already runs" in refused.stderr and "db.checkpoint.iops.limit" in refused.stderr
    assert server.pid() == pid
    assert _cli(server, "stop").returncode == 0
    jvm = [f"--setting={JVM_ADDITIONAL}={flag}" for flag in JVM_EXTRA]  # the module's flags
    started = _cli(server, "start", "--setting", "db.checkpoint.iops.limit=1234", *jvm)
    assert started.returncode == 0, started.stderr
    assert "Setting: db.checkpoint.iops.limit=1234" in started.stderr
    assert _setting(server, "db.checkpoint.iops.limit") == [{"value": "1234"}]
    status = json.loads(_cli(server, "status").stdout)
    assert status["running"] and status["settings"]["db.checkpoint.iops.limit"] == "1234"
    again = server.start(START_TIMEOUT)  # no other values asked for: it runs on, as it is
    assert "already running" in again and "Setting: db.checkpoint.iops.limit=1234" in again
    assert _cli(server, "stop").returncode == 0
    unknown = _cli(server, "start", "--setting", "db.no_such_setting=1")
    assert unknown.returncode == 1
    assert "db.no_such_setting" in unknown.stderr and "exited during start-up" in unknown.stderr
    assert not server.is_running()
    server.start(START_TIMEOUT)
    assert _setting(server, "db.checkpoint.iops.limit") == [{"value": "600"}]  # Neo4j's default


def test_browser_applies_the_graph_layer_style_on_connect(server: LocalNeo4j,
                                                         chromium: Browser) -> None:
    """Neo4j Browser, in headless Chromium, runs our ``:style`` after connecting: its style
    frame shows every selector of the GraSS file with our colours."""
    server.start(START_TIMEOUT)
    style = parse_grass(style_path().read_text(encoding="utf-8"))
    page = chromium.new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{server.browser_url}?dbms=neo4j://neo4j@127.0.0.1:{server.bolt_port}")
    page.locator("[data-testid=password]").fill(PASSWORD)
    page.locator("[data-testid=connect]").click()
    frame = page.locator("article", has_text=':style {"node"').last
    expect(frame).to_contain_text("node.Thread {", timeout=60_000)
    shown = frame.inner_text()
    for selector, rules in style.items():
        block = shown.split(f"{selector} {{", 1)[1].split("\n}", 1)[0]
        for key, value in rules.items():
            shown_value = f'"{value}"' if key == "caption" else value  # Browser re-quotes it
            assert f"{key}: {shown_value};" in block, (selector, key, value)


def test_browser_and_discovery_answer_over_http(server: LocalNeo4j) -> None:
    server.start(START_TIMEOUT)
    with urllib.request.urlopen(server.browser_url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers.get_content_type() == "text/html"
        assert "<title>Neo4j Browser</title>" in resp.read().decode()
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/", timeout=10) as resp:
        discovery = json.load(resp)
    assert discovery["bolt_direct"] == server.uri  # what the Browser connects to
    assert discovery["neo4j_edition"] == "community"


def test_start_again_is_idempotent(server: LocalNeo4j) -> None:
    server.start(START_TIMEOUT)
    pid = server.pid()
    began = time.monotonic()
    message = server.start(START_TIMEOUT)
    assert "already running" in message
    assert server.pid() == pid
    assert time.monotonic() - began < 10
    status = server.status()
    assert status["running"] is True and status["pid"] == pid
    assert status["uri"] == server.uri and status["browser_url"] == server.browser_url
    assert status["version"] == neo4j_version() and status["home"] == str(server.home)
    moved = LocalNeo4j(home=server.home, bolt_port=free_port(), http_port=server.http_port,
                       password=PASSWORD)  # same home, other ports: refuse, leave it running
    with pytest.raises(ServerError, match=rf"already runs .* ports {server.bolt_port}/"):
        moved.start(START_TIMEOUT)
    assert server.pid() == pid


def test_port_taken_by_another_socket_is_a_clear_error(
        server: LocalNeo4j, tmp_path: Path) -> None:
    server.start(START_TIMEOUT)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        other = LocalNeo4j(home=tmp_path / "bolt", bolt_port=taken, http_port=free_port(),
                           password=PASSWORD)
        with pytest.raises(ServerError, match=rf"port {taken} \(Bolt\).*already in use"):
            other.start(START_TIMEOUT)
        assert not other.pid_file.exists()
    # Our own running server's port, seen from an instance with another home: same error.
    second = LocalNeo4j(home=tmp_path / "http", bolt_port=free_port(),
                        http_port=server.http_port, password=PASSWORD)
    with pytest.raises(GraphLayerError, match=rf"port {server.http_port} \(HTTP\)"):
        second.start(START_TIMEOUT)
    assert server.is_running()


def test_data_survives_stop_and_start(server: LocalNeo4j) -> None:
    server.start(START_TIMEOUT)
    key = _write_marker(server)
    pid = server.pid()
    assert pid is not None
    assert server.stop() is True
    assert _gone(pid) and not server.is_running() and not server.pid_file.exists()
    assert server.status()["running"] is False
    assert server.stop() is False  # nothing left to stop
    assert "started" in server.start(START_TIMEOUT)
    assert _has_marker(server, key)


def test_kill_9_then_start_keeps_acknowledged_data(server: LocalNeo4j) -> None:
    server.start(START_TIMEOUT)
    key = _write_marker(server)  # acknowledged: execute_query returned after COMMIT
    pid = server.pid()
    assert pid is not None
    assert server.kill() is True
    assert _gone(pid) and not server.is_running()
    server.start(START_TIMEOUT)
    assert server.pid() != pid
    assert _has_marker(server, key)


def test_stop_ends_the_process(server: LocalNeo4j) -> None:
    server.start(START_TIMEOUT)
    pid = server.pid()
    assert pid is not None
    assert server.stop() is True
    assert _gone(pid)
    with socket.socket() as sock:  # the Bolt port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", server.bolt_port))


def test_stop_never_signals_a_process_that_is_not_our_server(tmp_path: Path) -> None:
    srv = LocalNeo4j(home=tmp_path, bolt_port=free_port(), http_port=free_port())
    srv.pid_file.parent.mkdir(parents=True)
    srv.pid_file.write_text(f"{os.getpid()}\n")  # this very pytest process
    assert srv.stop() is False
    assert srv.kill() is False
    assert not srv.pid_file.exists()  # the stale pid file is dropped


def test_provisioning_is_cached(server: LocalNeo4j) -> None:
    began = time.monotonic()
    lib = server.provision()
    assert time.monotonic() - began < 2
    assert (lib.parent / ".provisioned").is_file()
    assert any(lib.glob(f"neo4j-server-{neo4j_version()}.jar"))
    assert any(lib.glob("neo4j-browser-5.24.*.jar"))


def test_java_other_than_17_or_21_is_refused(tmp_path: Path) -> None:
    java25 = Path("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java")
    if not java25.exists():
        pytest.skip("no Java 25 on this machine")
    srv = LocalNeo4j(home=tmp_path, java=java25, bolt_port=free_port(), http_port=free_port())
    with pytest.raises(ConfigurationError, match=r"Java 25.*needs Java 17 or 21"):
        srv.start()
    srv = LocalNeo4j(home=tmp_path, java=tmp_path / "no-java", bolt_port=free_port(),
                     http_port=free_port())
    with pytest.raises(ConfigurationError, match="no Java at"):
        srv.check_java()


def test_memory_sizes_come_from_the_environment(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPH_LAYER_HEAP", "2g")
    monkeypatch.setenv("GRAPH_LAYER_PAGECACHE", "1536M")
    srv = LocalNeo4j(home=tmp_path, bolt_port=free_port(), http_port=free_port())
    settings = srv.settings(tmp_path / "lib")
    assert settings["server.memory.heap.max_size"] == "2g"
    assert settings["server.memory.pagecache.size"] == "1536m"
    tuned = LocalNeo4j(home=tmp_path, bolt_port=free_port(), http_port=free_port(),
                       extra_settings={"server.memory.pagecache.size": "2g",
                                       "db.tx_log.preallocate": "true"})
    settings = tuned.settings(tmp_path / "lib")  # added or replacing, after the environment
    assert settings["server.memory.pagecache.size"] == "2g"
    assert settings["db.tx_log.preallocate"] == "true"
    monkeypatch.setenv("GRAPH_LAYER_PAGECACHE", "lots")
    with pytest.raises(ConfigurationError, match="GRAPH_LAYER_PAGECACHE='lots' is not a memory"):
        LocalNeo4j(home=tmp_path)
