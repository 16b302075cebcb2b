"""Round-trip latency of the page's /predict under concurrent users, against a do-nothing Gradio app.

Run: python bench/app_load.py [--users 16] [--requests 20] [--rounds 4]
Starts `app_gradio.py` and `bench/app_noop.py` (same components, same queue settings, a handler that
does nothing), then, round after round, alternating which goes first, runs the same N gradio_client
users on loopback, each sending the bundled example scans to /predict one after another. Prints
p50/p95 round trip and errors for each, and the ratio of the p95s, all from this one run; then the
handler's own time, without Gradio.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.browser import running_app  # noqa: E402

EXAMPLES = sorted((ROOT / "examples" / "scans").iterdir())


def load(url: str, users: int, requests: int) -> tuple[list[float], int]:
    """`users` clients at once, each making `requests` calls; (round-trip seconds per call, errors)."""
    from gradio_client import Client, handle_file

    times: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(users)

    def user(index: int) -> None:
        client = Client(url, verbose=False)
        start.wait()
        for i in range(requests):
            path = EXAMPLES[(index + i) % len(EXAMPLES)]
            t = time.perf_counter()
            try:
                client.predict(handle_file(str(path)), api_name="/predict")
                with lock:
                    times.append(time.perf_counter() - t)
            except Exception:  # any failure counts: the target is zero
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors[0]


def handler_ms(repeats: int = 20) -> float:
    """Median time of the /predict handler itself, in this process: open, preprocess, classify one file."""
    from digits.config import Config
    from digits.inference import Classifier
    from digits.web import read_label

    classifier, cfg, times = Classifier(threads=Config.page_threads), Config(), []
    for _ in range(repeats):
        for path in EXAMPLES:
            t = time.perf_counter()
            read_label(str(path), classifier, cfg)
            times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20, help="per user and round")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    results = {"do-nothing app": ([], 0), "digits page": ([], 0)}
    with running_app(script="bench/app_noop.py") as (noop_url, _), running_app() as (page_url, _):
        urls = {"do-nothing app": noop_url, "digits page": page_url}
        for url in urls.values():  # warm-up: first calls load lazy imports and caches
            load(url, 2, 2)
        for round_ in range(args.rounds):
            order = list(urls.items())
            for name, url in order if round_ % 2 == 0 else order[::-1]:  # neither always goes first
                times, errors = load(url, args.users, args.requests)
                results[name] = (results[name][0] + times, results[name][1] + errors)
    print(f"{args.users} concurrent users x {args.requests} requests x {args.rounds} rounds, /predict on loopback")
    print(f"{'':16s} {'p50 ms':>8s} {'p95 ms':>8s} {'calls':>6s} {'errors':>6s}")
    p95 = {}
    for name, (times, errors) in results.items():
        ms = np.array(times) * 1000
        p95[name] = np.percentile(ms, 95)
        print(f"{name:16s} {np.median(ms):8.0f} {p95[name]:8.0f} {len(ms):6d} {errors:6d}")
    print(f"p95 ratio digits / do-nothing: {p95['digits page'] / p95['do-nothing app']:.2f}x (target <= 1.3x)")
    print(f"the /predict handler alone (open, preprocess, classify one scan): median {handler_ms():.2f} ms")


if __name__ == "__main__":
    main()
