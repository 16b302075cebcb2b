"""`batch --engine ray --from-list LIST --out DIR/`: the driver's memory from 10,000 to 1,000,000 listed inputs, and
throughput against the Ray engine writing one CSV from a folder, side by side.

Run: python bench/ray_lists.py --data ../shared/data [--sizes 10000,100000,1000000] [--rounds 3]
Memory: lists naming 1,000 MNIST test digits (28x28 PNGs) over and over, read into Parquet part files on a
local Ray started here (2 CPUs), so that the CLI process is the driver alone; peak resident and private
(RssAnon) memory as bench/ray_speed.py measures them. Throughput: bench/batch_speed.py's scans linked 10 times
(23,190 files), the folder into one CSV (`--engine ray`, the engine before part files) against a list of the
same files into part files, alternating, `--rounds` times: medians of the rates and of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.batch_speed import build  # noqa: E402
from bench.ray_speed import peak_memory_mb, timed  # noqa: E402
from digits.training.data import load_mnist  # noqa: E402


def tiny_list(data: Path, folder: Path, entries: int) -> Path:
    """A text list of `entries` lines naming 1,000 28x28 PNGs of MNIST test digits in turn."""
    from PIL import Image

    tiny = folder / "tiny"
    if not tiny.exists():
        tiny.mkdir()
        mnist = load_mnist(data, "test")
        for i in range(1000):
            Image.fromarray(mnist.images[i]).save(tiny / f"{i:04d}.png")
    listing = folder / f"list-{entries}.txt"
    with listing.open("w") as f:
        for i in range(entries):
            f.write(f"tiny/{i % 1000:04d}.png\n")
    return listing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding mnist/ and semeion/")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="list lengths for the memory measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from digits.engines.ray_data import ray_cluster

    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp, ray_cluster(cpus=2) as cluster:
        import ray

        address = ray.get_runtime_context().gcs_address
        folder = Path(tmp)
        ray_args = ["--engine", "ray", "--ray-address", address, "-q"]
        print(f"a local Ray, {cluster.cpus:.0f} CPUs")
        for size in [int(s) for s in args.sizes.split(",")]:
            listing = tiny_list(args.data, folder, size)
            parts = folder / "parts"
            command = [py, "cli.py", "batch", "--from-list", str(listing), "--out", f"{parts}/", *ray_args]
            resident, private = peak_memory_mb(command)
            rows = sum(1 for _ in parts.glob("*.parquet"))
            shutil.rmtree(parts)
            listing.unlink()
            print(f"{size:>9,} listed inputs: driver peak resident {resident:,.0f} MB, private {private:,.0f} MB "
                  f"({rows} part files)")

        n = len(build(args.data, folder / "speed", 10))
        scans = folder / "speed" / "scans"
        listing = folder / "speed" / "list.txt"
        listing.write_text("".join(f"scans/{p.name}\n" for p in sorted(scans.iterdir())))
        runs: dict[str, list[tuple[float, float]]] = {"folder -> one CSV": [], "list -> part files": []}
        for _ in range(args.rounds):
            runs["folder -> one CSV"].append(timed([py, "cli.py", "batch", str(scans), "--out",
                                                     str(folder / "one.csv"), *ray_args], n))
            parts = folder / "parts"
            runs["list -> part files"].append(timed([py, "cli.py", "batch", "--from-list", str(listing), "--out",
                                                      f"{parts}/", *ray_args], n))
            shutil.rmtree(parts)
        base = runs["folder -> one CSV"]
        print(f"throughput, {n:,} scans, {args.rounds} rounds (whole CLI processes):")
        for name, measured in runs.items():
            ratio = statistics.median(a / b for (a, _), (b, _) in zip(measured, base, strict=True))
            print(f"  {name:20s} {statistics.median(r for r, _ in measured):7,.0f} images/s  "
                  f"{statistics.median(c for _, c in measured):5.2f} CPU ms/image  {ratio:.2f}x")


if __name__ == "__main__":
    main()
