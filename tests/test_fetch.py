"""`digits data fetch` over real HTTP from a server on 127.0.0.1, and how every command finds the data."""

from __future__ import annotations

import gzip
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import run_cli

from digits.errors import DataError
from digits.training.data import load_mnist, load_semeion, load_usps
from digits.training.fetch import SOURCES, find_data, verified


class Mirror:
    """A folder served over HTTP on 127.0.0.1 (a free port), counting the requests for each path."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        seen = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args) -> None:
                seen.append(self.path)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Mirror:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_fetch_downloads_verifies_and_skips_what_it_has(data_dir, tmp_path):
    store = tmp_path / "store"
    with Mirror(data_dir) as mirror:
        run = run_cli("data", "fetch", "--dir", store, "--from", mirror.url)
        assert run.returncode == 0, run.stderr
        assert files_under(store) == sorted(s.path for s in SOURCES)  # nothing else: no temporary files left
        assert all(verified(store / s.path, s) for s in SOURCES) and len(mirror.requests) == len(SOURCES)
        assert load_mnist(store, "test").labels.shape == (10_000,) and load_semeion(store).labels.shape == (1_593,)
        assert load_usps(store).images.shape == (7_291, 16, 16)
        again = run_cli("data", "fetch", "--dir", store, "--from", mirror.url)
        assert again.returncode == 0 and "already there, verified" in again.stderr
        assert len(mirror.requests) == len(SOURCES)  # nothing downloaded twice


def test_a_corrupt_or_missing_file_is_one_line_naming_it_and_nothing_half_written(data_dir, tmp_path):
    bad = tmp_path / "mirror"
    shutil.copytree(data_dir, bad)
    labels = bad / "mnist" / "train-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[100] = (content[100] + 1) % 10  # one label changed: a valid file with the wrong content
    labels.chmod(0o644)
    labels.write_bytes(gzip.compress(bytes(content)))
    store = tmp_path / "store"
    with Mirror(bad) as mirror:
        run = run_cli("data", "fetch", "--dir", store, "--from", mirror.url)
        assert run.returncode == 1 and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
        assert "mnist/train-labels-idx1-ubyte.gz" in run.stderr and "SHA-256" in run.stderr
        assert files_under(store) == ["mnist/train-images-idx3-ubyte.gz"]  # the good file before it is kept
        half = bad / "mnist" / "t10k-images-idx3-ubyte.gz"
        half.chmod(0o644)
        half.write_bytes(half.read_bytes()[: half.stat().st_size // 2])  # a download cut off halfway
        shutil.copy(data_dir / "mnist" / "train-labels-idx1-ubyte.gz", labels)
        run = run_cli("data", "fetch", "--dir", store, "--from", mirror.url)
        assert run.returncode == 1 and "mnist/t10k-images-idx3-ubyte.gz" in run.stderr
        assert files_under(store) == ["mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"]
        (bad / "semeion" / "semeion.data").unlink()
        shutil.copy(data_dir / "mnist" / "t10k-images-idx3-ubyte.gz", half)
        run = run_cli("data", "fetch", "--dir", store, "--from", mirror.url)
        assert run.returncode == 1 and "semeion/semeion.data: download from" in run.stderr and "404" in run.stderr
        assert files_under(store) == sorted(s.path for s in SOURCES if s.path.startswith("mnist/"))


def test_commands_find_the_data_through_data_then_the_environment_then_the_cache(data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="run `digits data fetch`"):
        find_data()
    assert find_data(data_dir) == data_dir  # --data wins
    monkeypatch.setenv("DIGITS_DATA", str(data_dir))
    assert find_data() == data_dir
    monkeypatch.setenv("DIGITS_DATA", str(tmp_path / "empty"))
    with pytest.raises(DataError, match="DIGITS_DATA="):
        find_data()
    monkeypatch.delenv("DIGITS_DATA")
    with Mirror(data_dir) as mirror:  # the default store of `data fetch` is the cache, which commands then find
        assert run_cli("data", "fetch", "--from", mirror.url).returncode == 0  # the environment set above
    assert find_data() == tmp_path / "cache" / "digits"


def test_a_command_without_data_says_how_to_get_it(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    run = run_cli("evaluate", env=env)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "no data found: run `digits data fetch`" in run.stderr and "--data" in run.stderr
