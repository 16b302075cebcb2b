"""`batch --engine ray` on a real local Ray: the same rows as the local engine, loopback only, nothing left behind.

One Ray cluster, started by the engine's own code in a subprocess, serves the tests that pass --ray-address;
every CLI run has a timeout, so a hang fails the test instead of blocking CI.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli, start_cli, wait_for_rows

pytest.importorskip("ray", reason="the `ray` extra (in `dev`) is not installed")

TIMEOUT = 120  # seconds for one CLI run; a local Ray starts in under 10 here


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        children.setdefault(int(fields["PPid"]), []).append(int(status.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}").exists() and "(Z)" not in Path(f"/proc/{p}/stat").read_text()}


def listening(pids: set[int]) -> set[str]:
    """The local addresses on which these processes accept TCP connections ("127.0.0.1", "0.0.0.0", ...)."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    addresses = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "0A" and parts[9] in inodes:  # 0A: LISTEN
                hexaddr = parts[1].split(":")[0]
                raw = bytes.fromhex(hexaddr)
                if len(raw) == 4:
                    addresses.add(".".join(str(b) for b in raw[::-1]))
                else:  # IPv6 in four little-endian words; ::ffff:a.b.c.d carries IPv4 in the last
                    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
                    v6 = b"".join(words)
                    addresses.add(".".join(map(str, v6[12:])) if v6[:12] == b"\0" * 10 + b"\xff\xff" else v6.hex())
    return addresses


@pytest.fixture(scope="module")
def s3(folder):
    """A local S3 server (moto's) on 127.0.0.1 holding odd/ of the hostile folder, and the environment to reach it."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
    client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    client.create_bucket(Bucket="scans")
    for path in sorted((folder[0] / "odd").iterdir()):
        client.upload_file(str(path), "scans", f"odd/{path.name}")
    client.put_object(Bucket="scans", Key="odd/deeper/text.png", Body=b"not an image")
    yield env
    server.stop()


@pytest.fixture(scope="module")
def cluster(s3):
    """(address, process): a local Ray started by digits.engines.ray_data.ray_cluster in its own process.

    Its workers get the S3 server's settings from their environment, as a real cluster's workers get
    credentials from theirs: the driver's are never shipped to them.
    """
    code = (
        "import sys\n"
        "from digits.engines.ray_data import ray_cluster\n"
        "with ray_cluster(cpus=2):\n"
        "    import ray\n"
        "    print(ray.get_runtime_context().gcs_address, flush=True)\n"
        "    sys.stdin.read()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env=s3)
    try:
        address = process.stdout.readline().strip()
        assert address.startswith("127.0.0.1:"), address
        yield address, process
    finally:
        below = descendants(process.pid)
        process.stdin.close()  # the with-block ends: ray.shutdown()
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while alive(below) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(below), "Ray processes left behind"


def ray_cli(address: str, *args) -> subprocess.CompletedProcess:
    return run_cli("batch", *args, "--engine", "ray", "--ray-address", address, timeout=TIMEOUT)


def test_a_local_ray_listens_on_loopback_only(cluster):
    _, process = cluster
    addresses = listening(descendants(process.pid) | {process.pid})
    assert addresses and addresses <= {"127.0.0.1"}, addresses


def test_same_rows_as_the_local_engine_on_hostile_files(cluster, folder, tmp_path):
    root, _ = folder
    local = run_cli("batch", root, "--probabilities", "--out", tmp_path / "local.csv")
    ray = ray_cli(cluster[0], root, "--probabilities", "--out", tmp_path / "ray.csv")
    assert (local.returncode, ray.returncode) == (3, 3), ray.stderr[-2000:]
    assert (tmp_path / "ray.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    assert "Traceback" not in ray.stderr and "error  " in ray.stderr  # the summary table, as the local engine's


def test_same_numbers_and_uris_as_the_local_engine(cluster, folder, tmp_path):
    """--numbers, and a folder named as a file:// URI: same rows, names relative to the URI."""
    odd = folder[0] / "odd"  # names with spaces, quotes, commas and non-ASCII: percent-encoded in the URI
    local = run_cli("batch", odd, "--numbers", "--out", tmp_path / "local.csv")
    ray = ray_cli(cluster[0], odd.as_uri(), "--numbers", "--out", tmp_path / "ray.csv")
    assert (local.returncode, ray.returncode) == (0, 0), ray.stderr[-2000:]
    assert (tmp_path / "ray.csv").read_text() == (tmp_path / "local.csv").read_text()


def test_a_killed_actor_is_restarted_and_no_row_is_lost(cluster, many, tmp_path):
    local = run_cli("batch", many, "--out", tmp_path / "local.csv")
    run = start_cli("batch", many, "--out", tmp_path / "ray.csv", "--engine", "ray", "--ray-address", cluster[0])
    deadline = time.monotonic() + TIMEOUT
    victim = None
    while victim is None and run.poll() is None and time.monotonic() < deadline:
        for pid in descendants(cluster[1].pid):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"ray::MapWorker(MapBatches(RayWorker))") and b"IDLE" not in title:
                victim = pid
                break
        time.sleep(0.05)
    assert victim is not None, "the run ended before an actor could be killed"
    os.kill(victim, signal.SIGKILL)
    _, stderr = run.communicate(timeout=TIMEOUT)
    assert run.returncode == 0, stderr[-2000:]
    assert (tmp_path / "ray.csv").read_text() == (tmp_path / "local.csv").read_text()
    assert local.returncode == 0


def test_ctrl_c_stops_a_local_ray_and_leaves_no_process_and_no_file(many, tmp_path):
    out = tmp_path / "preds.csv"
    out.write_text("earlier results\n")
    # its own process group, as a terminal runs it: Ctrl-C reaches every process in it
    run = start_cli("batch", many, "--out", out, "--engine", "ray", start_new_session=True)
    wait_for_rows(run, tmp_path, TIMEOUT)
    below = descendants(run.pid)
    os.killpg(run.pid, signal.SIGINT)
    _, stderr = run.communicate(timeout=TIMEOUT)
    assert run.returncode == 130, stderr[-2000:]
    assert stderr.strip().splitlines()[-1].startswith(f"interrupted; {out} left as it was, the rows so far kept")
    assert out.read_text() == "earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.csv", "preds.csv.journal"]
    deadline = time.monotonic() + 30
    while alive(below) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(below), "Ray processes left behind"


def test_an_address_where_nothing_answers_is_one_line_not_a_hang():
    result = run_cli("batch", ROOT / "examples" / "scans", "--engine", "ray", "--ray-address", "127.0.0.1:9",
                     timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "nothing answers there" in result.stderr


def test_s3_uris_give_the_rows_of_a_local_folder_on_both_engines(cluster, folder, s3, tmp_path):
    odd = tmp_path / "odd"
    shutil.copytree(folder[0] / "odd", odd)
    (odd / "deeper").mkdir()
    (odd / "deeper" / "text.png").write_bytes(b"not an image")
    local = run_cli("batch", odd, "--out", tmp_path / "local.csv")
    for engine in ("local", "ray"):
        where = ["--engine", "ray", "--ray-address", cluster[0]] if engine == "ray" else []
        result = run_cli("batch", "s3://scans/odd/", *where, "--out", tmp_path / f"{engine}-s3.csv", env=s3,
                         timeout=TIMEOUT)
        assert (local.returncode, result.returncode) == (3, 3), result.stderr[-2000:]
        assert (tmp_path / f"{engine}-s3.csv").read_text() == (tmp_path / "local.csv").read_text()
    missing = run_cli("batch", "s3://scans/odd/no-such.png", "s3://no-bucket/x.png", "--out", "-", env=s3)
    assert missing.returncode == 3 and missing.stdout.count("file not found") == 2, missing.stdout


def test_a_review_fetches_rows_read_from_s3_through_the_remote_reader(s3, tmp_path, monkeypatch):
    """`digits review` of a run over s3://: its images come from the bucket the run read, and nowhere else."""
    from digits.config import Config
    from digits.errors import ImageError
    from digits.review_images import images_for

    preds = tmp_path / "preds.csv"
    assert run_cli("batch", "s3://scans/odd/", "--out", preds, env=s3).returncode == 3  # odd/deeper/text.png
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(key, s3[key])
    images = images_for(preds, None)
    assert images.roots == ("s3://scans/odd/",)
    assert images.open("with space.png", Config()).size == (130, 120)
    with pytest.raises(ImageError, match="not an image"):
        images.open("deeper/text.png", Config())
    for name in ("../odd2/a.png", "s3://scans/other.png"):
        with pytest.raises(ImageError, match="refused"):
            images.open(name, Config())


def test_documents_give_the_rows_of_the_local_engine(cluster, mnist_test, tmp_path):
    """A PDF's pages, a multi-page TIFF's frames and an encrypted PDF: the same rows on Ray as on this machine."""
    from test_documents import page_of

    from bench.pdfs import encrypted

    pages = [page_of(mnist_test.images[i]) for i in range(3)]
    pages[0].save(tmp_path / "form.pdf", save_all=True, append_images=pages[1:], resolution=200)
    scans = [p.copy() for p in pages]  # an image saved as PDF keeps the PDF's encoder settings: Pillow's TIFF trips
    scans[0].save(tmp_path / "scan.tif", save_all=True, append_images=scans[1:2])
    (tmp_path / "locked.pdf").write_bytes(encrypted((tmp_path / "form.pdf").read_bytes()))
    local = run_cli("batch", tmp_path, "--out", "-")
    ray = ray_cli(cluster[0], tmp_path, "--out", "-")
    assert (local.returncode, ray.returncode) == (3, 3), ray.stderr[-2000:]
    assert ray.stdout == local.stdout and "form.pdf#page=3" in ray.stdout and "scan.tif#page=2" in ray.stdout


def test_a_killed_ray_run_resumes_to_the_bytes_of_the_local_engine(cluster, many, tmp_path):
    from test_resume import kill_at

    local, out, journal = tmp_path / "local.csv", tmp_path / "ray.csv", tmp_path / "ray.csv.journal"
    assert run_cli("batch", many, "--out", local, "-q").returncode == 0
    kill_at([many, "--out", out, "-q", "--engine", "ray", "--ray-address", cluster[0]], journal, 300, timeout=TIMEOUT)
    assert journal.exists() and not out.exists()
    done = ray_cli(cluster[0], many, "--out", out, "--resume", "-q")
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.read_bytes() == local.read_bytes() and not journal.exists()


def test_a_listing_the_store_refuses_is_said_in_one_line(tmp_path):
    """An S3 server that checks credentials (moto's, with authentication on) refuses ours: one line, exit 1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the S3 server did not start"
                time.sleep(0.1)
        wrong = {**os.environ, "AWS_ACCESS_KEY_ID": "wrong", "AWS_SECRET_ACCESS_KEY": "wrong",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
        result = run_cli("batch", "s3://scans/forms/", "--out", tmp_path / "preds.csv", env=wrong, timeout=60)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("\n") == 1 and "s3://scans/forms/: cannot list it" in result.stderr
        assert "credentials" in result.stderr and "no image files found" not in result.stderr
        assert list(tmp_path.iterdir()) == []
    finally:
        server.terminate()
        server.wait(timeout=30)


def read_parts(folder: Path):
    """Every row of a part-file folder, sorted by path, with its manifest (pyarrow passes over `_` names)."""
    import json

    import pyarrow.dataset as ds

    table = ds.dataset(folder, format="parquet").to_table().sort_by("path")
    return table, json.loads((folder / "_manifest.json").read_text())


def test_part_files_from_a_list_hold_the_local_rows_with_a_manifest(cluster, many, tmp_path):
    import hashlib

    import pyarrow.parquet as pq

    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{p}\n" for p in sorted(many.iterdir())) + f"{tmp_path / 'missing.png'}\n")
    local = run_cli("batch", "--from-list", listing, "--out", tmp_path / "local.parquet", "-q")
    assert local.returncode == 3, local.stderr
    parts = tmp_path / "parts"
    result = ray_cli(cluster[0], "--from-list", listing, "--out", f"{parts}/", "--part-rows", "400")
    assert result.returncode == 3, result.stderr[-2000:]
    table, manifest = read_parts(parts)
    assert table.equals(pq.read_table(tmp_path / "local.parquet").sort_by("path"))  # same rows, same types
    assert manifest["rows"] == 1501 and manifest["statuses"]["error"] == 1 and len(manifest["parts"]) >= 2
    for part in manifest["parts"]:
        data = (parts / part["part"]).read_bytes()
        assert (part["bytes"], part["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
        assert part["rows"] == pq.read_metadata(parts / part["part"]).num_rows
    assert sorted(p.name for p in parts.iterdir() if p.name.startswith("_")) == ["_manifest.json"]
    again = ray_cli(cluster[0], "--from-list", listing, "--out", f"{parts}/")
    assert again.returncode == 1 and "holds a finished run's parts" in again.stderr


def test_a_killed_part_file_run_resumes_without_losing_or_repeating_a_row(cluster, many, tmp_path):
    """Scans, and among them 25 PDFs of three pages: a document written before the kill is not read again."""
    from PIL import Image

    scans = sorted(many.iterdir())
    entries = []
    for k, scan in enumerate(scans):
        entries.append(scan)
        if k % 60 == 0:
            pages = [Image.open(p).convert("L") for p in scans[k : k + 3]]
            pages[0].save(tmp_path / f"doc{k:04d}.pdf", save_all=True, append_images=pages[1:], resolution=100)
            entries.append(tmp_path / f"doc{k:04d}.pdf")
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{p}\n" for p in entries))
    parts = tmp_path / "parts"
    args = ["batch", "--from-list", listing, "--out", f"{parts}/", "--part-rows", "200", "-q", "--engine", "ray",
            "--ray-address", cluster[0]]
    run = start_cli(*args)
    deadline = time.monotonic() + TIMEOUT
    while not (parts.is_dir() and any(p.suffix == ".parquet" for p in parts.iterdir())):
        assert run.poll() is None and time.monotonic() < deadline, "the run ended before it could be killed"
        time.sleep(0.02)
    run.kill()
    run.communicate(timeout=60)
    assert not (parts / "_manifest.json").exists() and (parts / "_run.json").exists()
    refused = ray_cli(cluster[0], "--from-list", listing, "--out", f"{parts}/")
    assert refused.returncode == 1 and "add --resume to finish it" in refused.stderr
    done = ray_cli(cluster[0], "--from-list", listing, "--out", f"{parts}/", "--resume")
    assert done.returncode == 0, done.stderr[-2000:]
    table, manifest = read_parts(parts)
    paths = table.column("path").to_pylist()
    assert len(paths) == len(set(paths)) == 1500 + 25 * 3 and manifest["rows"] == 1575
    assert sum(p.endswith("#page=3") for p in paths) == 25


def test_lists_and_part_files_on_object_storage(cluster, folder, s3, tmp_path):
    """A list on S3 naming S3 objects: the local engine reads it into one file, the Ray engine into S3 part files."""
    import json

    import boto3
    import pyarrow as pa
    import pyarrow.parquet as pq

    client = boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    names = sorted(p.name for p in (folder[0] / "odd").iterdir())
    entries = [f"s3://scans/odd/{n}" for n in names[:3]] + [f"odd/{n}" for n in names[3:]]  # relative: from the list
    client.put_object(Bucket="scans", Key="list.txt", Body="".join(f"{e}\n" for e in entries).encode())
    local = run_cli("batch", "--from-list", "s3://scans/list.txt", "--out", tmp_path / "local.parquet", env=s3,
                    timeout=TIMEOUT)
    assert local.returncode == 0, local.stderr
    expected = pq.read_table(tmp_path / "local.parquet")
    assert expected.column("path").to_pylist() == entries
    parts = run_cli("batch", "--from-list", "s3://scans/list.txt", "--out", "s3://scans/parts/", "--engine", "ray",
                    "--ray-address", cluster[0], env=s3, timeout=TIMEOUT)
    assert parts.returncode == 0, parts.stderr[-2000:]
    listed = client.list_objects_v2(Bucket="scans", Prefix="parts/")["Contents"]
    keys = sorted(o["Key"] for o in listed)
    assert "parts/_manifest.json" in keys and not [k for k in keys if "_checkpoint" in k or k.endswith("_run.json")]
    manifest = json.loads(client.get_object(Bucket="scans", Key="parts/_manifest.json")["Body"].read())
    tables = [pq.read_table(pa.BufferReader(client.get_object(Bucket="scans", Key=f"parts/{p['part']}")["Body"]
                                            .read())) for p in manifest["parts"]]
    assert pa.concat_tables(tables).sort_by("path").equals(expected.sort_by("path"))
    assert manifest["rows"] == len(entries)
