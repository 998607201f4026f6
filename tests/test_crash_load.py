"""A `kg load` killed half-way leaves the store as it was; the next load completes and swaps in the new state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.store import current_generation, open_store

LINES = 400_000  # enough that the bulk load is still running when we kill it


def _big_file(path: Path) -> Path:
    with path.open("w") as out:
        for i in range(LINES):
            out.write(f'<http://ex.org/s{i}> <http://ex.org/p> "v{i}" <http://ex.org/g{i % 7}> .\n')
    return path


def _kg(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kg", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.mark.slow
def test_sigkill_during_load_keeps_the_old_store(project: Path, tmp_path: Path) -> None:
    env = {**os.environ, "KG_PROJECT_ROOT": str(project)}
    store = tmp_path / "store"
    assert _kg("load", "--store", str(store), "-q", env=env).wait(timeout=60) == 0
    old_generation = current_generation(store)
    old_quads = {str(q) for q in open_store(store, read_only=True)}

    big = _big_file(tmp_path / "big.nq")
    loader = _kg("load", "--store", str(store), "-q", str(big), env=env)
    deadline = time.monotonic() + 30
    while len(list(store.glob("gen-*"))) < 2:  # the new generation exists: the load is under way
        assert loader.poll() is None, "the load ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    loader.send_signal(signal.SIGKILL)
    loader.wait(timeout=10)

    assert current_generation(store) == old_generation
    assert {str(q) for q in open_store(store, read_only=True)} == old_quads

    # the next load succeeds, replaces the state completely and clears the half-built generation away
    assert _kg("load", "--store", str(store), "-q", str(big), env=env).wait(timeout=120) == 0
    new = {str(q) for q in open_store(store, read_only=True)}
    assert old_quads < new
    assert '<http://ex.org/s123> <http://ex.org/p> "v123" <http://ex.org/g4>' in new
    assert len(new) >= len(old_quads) + LINES
    assert len(list(store.glob("gen-*"))) == 1
