"""`batch --engine ray` against the local engine, side by side, on the batch benchmark's scans.

Run: python bench/ray_speed.py --data ../shared/data [--rounds 5] [--repeat N] [--memory-files 100000]
Builds the scans of bench/batch_speed.py (2,319 files, 100-400 px; `--repeat N` links each N times,
for a longer job over which Ray's fixed costs spread). Starts one local Ray (its start
time reported apart), then in each round times, one after the other, whole processes: `cli.py batch`
with the local engine, and `cli.py batch --engine ray --ray-address` on that cluster (the driver's
start and connection, the actors' start and the job: everything but the cluster's start). Rates are
medians over the rounds, the ratio the median of each round's ratio; CPU per image is the whole
machine's (from /proc/stat, this machine otherwise idle), as Ray's processes outlive no process we
could wait for. Then the Ray job alone, in this process, with 1 to 4 actors (the scaling table),
and the driver's peak memory (the CLI process's) on `--memory-files` and a tenth of them (28x28
PNGs, links to 1,000 files; 0 skips it): flat memory means the rows stream through the driver.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.batch_speed import build  # noqa: E402
from digits.config import DEFAULT_MODEL, Config  # noqa: E402
from digits.training.data import load_mnist  # noqa: E402


def machine_cpu() -> float:
    """Seconds of CPU used so far by the whole machine (user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(fields[i]) for i in (0, 1, 2, 5, 6, 7))
    return busy / os.sysconf("SC_CLK_TCK")


def timed(command: list[str], files: int) -> tuple[float, float]:
    """(images/s, machine CPU ms per image) of one whole process."""
    cpu, start = machine_cpu(), time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return files / seconds, 1e3 * (machine_cpu() - cpu) / files


def peak_memory_mb(command: list[str]) -> tuple[float, float]:
    """(peak resident, peak private) MB of one process, not its children: wait4, and RssAnon sampled every 20 ms.

    Resident memory counts the pages of Ray's shared object store that the driver has read (shared with
    every Ray process); private memory (RssAnon) is what the driver itself holds.
    """
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    private = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{process.pid}/status").read_text().splitlines())
            private = max(private, int(fields["RssAnon"].split()[0]))
        except (OSError, KeyError, ValueError):
            pass
        time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode in (0, 3), command
    return usage.ru_maxrss / 1024, private / 1024


def tiny_folder(data: Path, folder: Path, files: int) -> None:
    """`files` 28x28 PNGs: 1,000 MNIST test digits, linked under other names."""
    from PIL import Image

    mnist = load_mnist(data, "test")
    folder.mkdir()
    for i in range(1000):
        Image.fromarray(mnist.images[i]).save(folder / f"{i:06d}.png")
    for i in range(1000, files):
        os.link(folder / f"{i % 1000:06d}.png", folder / f"{i:06d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding mnist/ and semeion/")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1, help="link every scan this many times")
    parser.add_argument("--memory-files", type=int, default=100_000, help="0: skip the memory measurement")
    args = parser.parse_args()
    from digits.engines.ray_data import ray_cluster, ray_rows
    from digits.output import COLUMNS, CsvWriter
    from digits.reader import reader_for
    from digits.run import run_batch

    py, model = sys.executable, str(DEFAULT_MODEL.resolve())
    with tempfile.TemporaryDirectory() as tmp, ray_cluster() as cluster:
        import ray

        address = ray.get_runtime_context().gcs_address
        folder = Path(tmp)
        n = len(build(args.data, folder, args.repeat))
        scans = folder / "scans"
        local = [py, "cli.py", "batch", str(scans), "-q", "--out", str(folder / "local.csv")]
        on_ray = [py, "cli.py", "batch", str(scans), "-q", "--out", str(folder / "ray.csv"), "--engine", "ray",
                  "--ray-address", address]
        runs: dict[str, list[tuple[float, float]]] = {"local engine (cli.py batch)": [], "ray engine (cli.py)": []}
        for _ in range(args.rounds):
            runs["local engine (cli.py batch)"].append(timed(local, n))
            runs["ray engine (cli.py)"].append(timed(on_ray, n))
        same = (folder / "local.csv").read_bytes() == (folder / "ray.csv").read_bytes()

        scaling = {}
        for actors in (1, 2, 3, 4):
            cfg = Config(workers=actors)
            engine = lambda found, cfg=cfg: ray_rows(found, model, cfg, reader_for(cfg), cluster)  # noqa: E731
            with open(os.devnull, "w") as sink:
                start = time.perf_counter()
                run_batch([scans], CsvWriter(sink, COLUMNS), engine)
                scaling[actors] = n / (time.perf_counter() - start)

        tiny = folder / "tiny"
        memory = {}
        if args.memory_files:
            tiny_folder(args.data, tiny, args.memory_files)
        for files in (args.memory_files // 10, args.memory_files) if args.memory_files else ():
            subset = tiny if files == args.memory_files else folder / "tiny_tenth"
            if subset != tiny:
                subset.mkdir()
                for i in range(files):
                    os.link(tiny / f"{i:06d}.png", subset / f"{i:06d}.png")
            memory[files] = [peak_memory_mb(command + [str(subset), "-q", "--out", str(folder / "m.csv")])
                             for command in ([py, "cli.py", "batch"],
                                             [py, "cli.py", "batch", "--engine", "ray", "--ray-address", address])]

    local_name, ray_name = runs
    rate = {name: statistics.median(r for r, _ in values) for name, values in runs.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in runs.items()}
    ratio = statistics.median(r / b for (r, _), (b, _) in zip(runs[ray_name], runs[local_name], strict=True))
    repeated = f" ({n // args.repeat:,} files, each linked {args.repeat} times)" if args.repeat > 1 else ""
    print(f"{n:,} scan-like images{repeated}, 100-400 px, {os.cpu_count()} cores; whole processes, "
          f"{args.rounds} rounds")
    print(f"local Ray start (ray.init, once): {cluster.start_seconds:.1f} s, {cluster.cpus:.0f} CPUs")
    print(f"{'':30s} {'images/s':>9s} {'CPU ms/image':>13s}")
    for name in runs:
        print(f"{name:30s} {rate[name]:9.0f} {cpu[name]:13.2f}")
    print(f"ray / local: {ratio:.2f}x (median of the rounds' ratios); same CSV bytes: {same}")
    print("Ray job alone, in this process (cluster up), by actors: "
          + ", ".join(f"{a}: {r:.0f} images/s" for a, r in scaling.items()))
    if memory:
        print("driver peak memory, resident / private MB, local engine; ray engine: " + "; ".join(
            f"{files:,} files: {m[0][0]:.0f} / {m[0][1]:.0f}; {m[1][0]:.0f} / {m[1][1]:.0f}"
            for files, m in memory.items()))


if __name__ == "__main__":
    main()
