"""A non-editable install into a fresh venv ships cypher/ and the console script.

The wheel is built from this checkout and installed with ``--no-deps`` into a new venv; the
already-installed dependencies are made visible through a ``.pth`` file (a full dependency install
takes minutes and proves nothing more about our package). The import must come from the new venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_in_a_fresh_venv_finds_its_queries(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(ROOT)], check=True)
    wheel = next(dist.glob("graph_layer-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "zz_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--target", str(site), str(wheel)], check=True)
    probe = (
        "import graph_layer, graph_layer.queries as q, graph_layer.local_server as s;"
        "print(graph_layer.__file__); print(q.cypher_root()); print(len(q.load_all()));"
        "print(s.neo4j_version())"
    )
    out = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": ""}).stdout.split("\n")
    assert out[0].startswith(str(site))
    assert out[1] == str(site / "graph_layer" / "cypher")
    files = list((ROOT / "cypher").rglob("*.cypher"))
    assert int(out[2]) == len(files)
    assert out[3].startswith("5.26.")
    help_text = subprocess.run([str(venv / "bin" / "python"), "-m", "graph_layer.cli", "--help"],
                               cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert "neo4j" in help_text and "schema" in help_text
