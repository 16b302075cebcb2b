"""What `batch --resume` promises, measured: runs killed with SIGKILL at random points finish to the bytes of an
uninterrupted run (CSV, JSONL, Parquet; local and Ray engines), and what the journal costs.

Run: python bench/resume.py --data ../shared/data [--repeat 9] [--kills 5] [--rounds 3] [--no-ray]
The scans are bench/batch_speed.py's 2,319 (MNIST test and Semeion digits rendered as scans), each linked
`--repeat` times (9: 20,871 files). The kill points are drawn once (seed 0) among the rows, and each kill comes
when the journal holds that many rows. The cost compares `--no-journal` and the default side by side,
alternating, `--rounds` times each: medians of the rates and of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.batch_speed import build  # noqa: E402

FORMATS = ("csv", "jsonl", "parquet")


def cli(*args) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "batch", *map(str, args)]


def journal_rows(journal: Path) -> int:
    try:
        return max(0, journal.read_bytes().count(b"\n") - 1)
    except FileNotFoundError:
        return 0


def killed_at(command: list[str], journal: Path, rows: int) -> int:
    """Run `command`, SIGKILL it once its journal holds `rows` rows; the rows it held when it died."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while journal_rows(journal) < rows:
        if process.poll() is not None:
            raise SystemExit(f"the run ended before {rows} rows: {' '.join(command)}")
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    return journal_rows(journal)


def kills(scans: Path, folder: Path, files: int, engine: list[str], points: list[int]) -> list[str]:
    """For each format: an uninterrupted run, then one run killed at each point (resuming the last), then --resume."""
    lines = []
    for fmt in FORMATS:
        whole, out = folder / f"whole.{fmt}", folder / f"killed.{fmt}"
        journal = out.with_name(out.name + ".journal")
        subprocess.run(cli(scans, "-q", "--out", whole, *engine), cwd=ROOT, check=True)
        held = [killed_at(cli(scans, "-q", "--out", out, "--resume", *engine), journal, p) for p in points]
        left = not out.exists()
        subprocess.run(cli(scans, "-q", "--out", out, "--resume", *engine), cwd=ROOT, check=True)
        same = out.read_bytes() == whole.read_bytes()
        lines.append(f"{fmt:8s} killed with {', '.join(f'{h:,}' for h in held)} rows in the journal; no output "
                     f"after each kill: {left}; final file byte-identical: {same}; journal left: {journal.exists()}")
        for path in (whole, out):
            path.unlink()
    return lines


def cost(scans: Path, folder: Path, files: int, rounds: int) -> str:
    rates: dict[str, list[float]] = {"--no-journal": [], "journal (default)": []}
    for _ in range(rounds):
        for name, extra in (("--no-journal", ["--no-journal"]), ("journal (default)", [])):
            start = time.perf_counter()
            subprocess.run(cli(scans, "-q", "--out", folder / "speed.csv", *extra), cwd=ROOT, check=True)
            rates[name].append(files / (time.perf_counter() - start))
    ratio = statistics.median(b / a for a, b in zip(rates["--no-journal"], rates["journal (default)"], strict=True))
    median = {name: statistics.median(r) for name, r in rates.items()}
    return (f"local engine, CSV, {files:,} files, {rounds} rounds: --no-journal {median['--no-journal']:,.0f} "
            f"images/s, with the journal {median['journal (default)']:,.0f} images/s: {ratio:.3f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding mnist/ and semeion/")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-ray", action="store_true", help="the local engine only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = len(build(args.data, folder, args.repeat))
        scans = folder / "scans"
        points = sorted(random.Random(0).sample(range(1, files - 300), args.kills))
        print(f"{files:,} scans; kill points (rows in the journal): {', '.join(f'{p:,}' for p in points)}")
        print(cost(scans, folder, files, args.rounds))
        print("local engine:")
        for line in kills(scans, folder, files, [], points):
            print("  " + line)
        if not args.no_ray:
            from digits.engines.ray_data import ray_cluster

            with ray_cluster() as cluster:
                import ray

                address = ray.get_runtime_context().gcs_address
                print(f"ray engine (a local Ray, {cluster.cpus:.0f} CPUs):")
                for line in kills(scans, folder, files, ["--engine", "ray", "--ray-address", address], points):
                    print("  " + line)


if __name__ == "__main__":
    main()
