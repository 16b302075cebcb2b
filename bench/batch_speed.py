"""Batch throughput and accuracy on scan-like images of digits the model never trained on.

Run: python bench/batch_speed.py --data ../shared/data [--repeat N]
Builds (fixed seed) every 5th MNIST test digit and every 5th Semeion digit, in their natural
proportion, as 100-400 px scans (digits/training/scanlike.py) in PNG/JPEG/BMP/TIFF/WebP, and the same digits
rendered clean. Then times whole processes, start-up included, 5 rounds, each running every command
once; rates are medians, ratios the median of each round's ratio (the machine's speed drifts between
rounds, less within one), with each process's CPU time per image (all its processes, by rusage):
decode only (one process that opens and decodes every file), `cli.py batch` (process and thread
pools), a per-image onnxruntime loop; and a per-image Keras `model.predict` loop as the original
scripts did, timed without its start-up (TensorFlow's import) on a subset, so the comparison
favours Keras. Then the time per image of each stage (decode, preprocess, model) in one process on one
core, and last the accuracy of `cli.py batch` on both sets. `--repeat N` links every file N times
under other names (same bytes, N times the files), to see how a fixed start-up weighs on a longer run.
`--model M.onnx` times another ONNX model in place of the shipped one (e.g. one member of it, from
`cli.py export --keras models/digits.keras --out M.onnx`), everywhere but the Keras loop. `--baseline B.onnx`
adds `cli.py batch --model B.onnx` to every round, side by side (e.g. the readers without the gate, from
`cli.py export --no-gate --out B.onnx`), and its accuracy; `--no-paper-lines` adds `cli.py batch --no-paper-lines`
(the preprocessing without clearing ruled paper's lines, digits/rules.py) the same way.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from digits.config import DEFAULT_MODEL, Config  # noqa: E402
from digits.training.data import load_mnist, load_semeion  # noqa: E402
from digits.training.scanlike import FORMATS, render_scan  # noqa: E402

KERAS_SUBSET = 150  # files for the Keras loop: enough for a rate, short enough to wait for
ROUNDS = 5  # each command runs once per round; medians over the rounds
DECODE_ONLY, KERAS = "decode only (1 process)", "per-image Keras loop (loop only)"  # the two baselines

DECODE = """
import sys
from pathlib import Path
from PIL import Image
for path in sorted(Path(sys.argv[1]).iterdir()):
    with Image.open(path) as image:
        image.load()
"""

ORT_LOOP = """
import sys
from pathlib import Path
import numpy as np
from PIL import Image
from digits.inference import Classifier
from digits.preprocess import preprocess
session = Classifier(sys.argv[2]).session
for path in sorted(Path(sys.argv[1]).iterdir()):
    with Image.open(path) as image:
        x = preprocess(image).image[None, :, :, None]
    session.run(None, {"image": x})
"""

KERAS_LOOP = """
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from pathlib import Path
import keras
from PIL import Image
from digits.preprocess import preprocess
model = keras.saving.load_model(sys.argv[2], compile=False)
paths = sorted(Path(sys.argv[1]).iterdir())[: int(sys.argv[3])]
start = time.perf_counter()  # the loop only: TensorFlow's import would dwarf a short run
for path in paths:
    with Image.open(path) as image:
        x = preprocess(image).image[None, :, :, None]
    model.predict(x, verbose=0)
print(len(paths) / (time.perf_counter() - start))
"""

STAGES = """
import sys, time
from pathlib import Path
from PIL import Image
from digits.inference import Classifier
from digits.preprocess import preprocess
decode = prep = 0.0
seen = []
for path in sorted(Path(sys.argv[1]).iterdir()):
    t0 = time.perf_counter()
    with Image.open(path) as image:
        image.load()
        t1 = time.perf_counter()
        seen.append(preprocess(image))
    decode, prep = decode + t1 - t0, prep + time.perf_counter() - t1
classifier = Classifier(sys.argv[2], threads=1)
t0 = time.perf_counter()
classifier.classify(seen)
print(1e3 * decode / len(seen), 1e3 * prep / len(seen), 1e3 * (time.perf_counter() - t0) / len(seen))
"""


def build(data: Path, folder: Path, repeat: int = 1) -> dict[str, int]:
    """Write scans/ and clean/ (same digits, same names), each file `repeat` times; return {file name: true digit}."""
    mnist, semeion = load_mnist(data, "test"), load_semeion(data)
    digits = [(mnist.images[i], int(mnist.labels[i]), f"m{i:05d}") for i in range(0, len(mnist.labels), 5)]
    digits += [(semeion.images[i], int(semeion.labels[i]), f"s{i:04d}") for i in range(0, len(semeion.labels), 5)]
    labels = {}
    for sub in ("scans", "clean"):
        (folder / sub).mkdir(parents=True)
    for k, (image, label, stem) in enumerate(digits):
        fmt = list(FORMATS)[k % len(FORMATS)]
        name = f"{stem}.{fmt}"
        for sub, clean in (("scans", False), ("clean", True)):
            render_scan(image, np.random.default_rng(k), clean=clean).save(folder / sub / name, **FORMATS[fmt])
        labels[name] = label
        for r in range(1, repeat):
            for sub in ("scans", "clean"):
                os.link(folder / sub / name, folder / sub / f"r{r}-{name}")
            labels[f"r{r}-{name}"] = label
    return labels


def measure(command: list[str], files: int) -> tuple[float, float]:
    """(files per second, CPU ms per file) of a whole process and its children; the rate it prints, if it does."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    printed = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    seconds, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return (float(printed) if printed else files / seconds), 1e3 * cpu / files


def ratio(runs: list[tuple[float, float]], base: list[tuple[float, float]]) -> float:
    """Median over the rounds of one command's rate over another's in the same round."""
    return statistics.median(a / b for (a, _), (b, _) in zip(runs, base, strict=True))


def accuracy(csv_path: Path, labels: dict[str, int]) -> tuple[float, int, float]:
    """(share read right, blank files, share accepted as ok and right) of a batch CSV."""
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    right = [row["prediction"] == str(labels[row["path"]]) for row in rows]
    ok_right = sum(r and row["status"] == "ok" for r, row in zip(right, rows, strict=True))
    return sum(right) / len(labels), sum(row["status"] == "blank" for row in rows), ok_right / len(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder holding mnist/ and semeion/")
    parser.add_argument("--keras", type=Path, default=ROOT / "models" / "digits.keras")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="ONNX model for everything but Keras")
    parser.add_argument("--repeat", type=int, default=1, help="link every file this many times")
    parser.add_argument("--baseline", type=Path, help="another ONNX model for cli.py batch, side by side")
    parser.add_argument("--no-paper-lines", action="store_true",
                        help="also cli.py batch --no-paper-lines, side by side: what clearing paper lines costs")
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        labels = build(args.data, folder, args.repeat)
        scans, n, model = folder / "scans", len(labels), str(args.model.resolve())
        commands = {
            DECODE_ONLY: ([py, "-c", DECODE, str(scans)], n),
            "cli.py batch (processes)": ([py, "cli.py", "batch", str(scans), "-q", "--model", model,
                                          "--out", str(folder / "p.csv")], n),
            "cli.py batch (threads)": ([py, "cli.py", "batch", str(scans), "-q", "--model", model, "--pool", "thread",
                                        "--out", str(folder / "t.csv")], n),
            **({"cli.py batch (baseline model)": ([py, "cli.py", "batch", str(scans), "-q", "--model",
                                                    str(args.baseline.resolve()), "--out", str(folder / "b.csv")], n)}
               if args.baseline else {}),
            **({"cli.py batch --no-paper-lines": ([py, "cli.py", "batch", str(scans), "-q", "--model", model,
                                                    "--no-paper-lines", "--out", str(folder / "n.csv")], n)}
               if args.no_paper_lines else {}),
            "per-image onnxruntime loop": ([py, "-c", ORT_LOOP, str(scans), model], n),
            KERAS: ([py, "-c", KERAS_LOOP, str(scans), str(args.keras), str(KERAS_SUBSET)],
                                     KERAS_SUBSET),
        }
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(ROUNDS):
            for name, (command, files) in commands.items():
                runs[name].append(measure(command, files))
        rates = {name: statistics.median(rate for rate, _ in r) for name, r in runs.items()}
        cpu = {name: statistics.median(ms for _, ms in r) for name, r in runs.items()}
        ratios = {name: (ratio(r, runs[DECODE_ONLY]), ratio(r, runs[KERAS])) for name, r in runs.items()}
        stages = subprocess.run([py, "-c", STAGES, str(scans), model], cwd=ROOT, check=True, capture_output=True,
                                text=True)
        decode_ms, prep_ms, model_ms = map(float, stages.stdout.split())
        read = {"": (model, "p.csv", "c.csv")} | ({" (baseline)": (str(args.baseline), "b.csv", "bc.csv")}
                                                   if args.baseline else {})
        accuracies = {}
        for which, (onnx, scans_csv, clean_csv) in read.items():
            subprocess.run([py, "cli.py", "batch", str(folder / "clean"), "-q", "--model", onnx,
                            "--out", str(folder / clean_csv)], cwd=ROOT, check=True)
            accuracies[which] = accuracy(folder / scans_csv, labels), accuracy(folder / clean_csv, labels)

    semeion = sum(name.split("-")[-1].startswith("s") for name in labels)
    repeated = f" ({n // args.repeat:,} files, each linked {args.repeat} times)" if args.repeat > 1 else ""
    print(f"{n} scan-like images{repeated}, 100-400 px ({n - semeion} MNIST test, {semeion} Semeion), 2 cores; "
          f"whole processes incl. start-up, {ROUNDS} rounds")
    print(f"{'':34s} {'images/s':>9s} {'vs decode':>10s} {'vs Keras loop':>14s} {'CPU ms/image':>13s}")
    for name, rate in rates.items():
        cpu_ms = "-" if name == KERAS else f"{cpu[name]:.2f}"  # the Keras process's CPU is mostly its import
        print(f"{name:34s} {rate:9.0f} {ratios[name][0]:9.2f}x {ratios[name][1]:13.1f}x {cpu_ms:>13s}")
    print(f"per image on one core: decode {decode_ms:.2f} ms, preprocess {prep_ms:.2f} ms, "
          f"model {model_ms:.2f} ms (batches of {Config().model_batch}, one thread)")
    for which, ((scan_acc, scan_blank, scan_ok), (clean_acc, clean_blank, clean_ok)) in accuracies.items():
        print(f"accuracy of cli.py batch{which}: scan-like {scan_acc:.2%} (blank {scan_blank}; ok and right "
              f"{scan_ok:.2%}), same digits clean {clean_acc:.2%} (blank {clean_blank}; ok and right {clean_ok:.2%})")


if __name__ == "__main__":
    main()
