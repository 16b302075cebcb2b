"""A do-nothing Gradio app with the page's /predict components (File in, Label out): the floor for bench/app_load.py.

Served exactly as the real page is (`digits.web.launch`: same queue, same limits), so the difference
between the two is our handler and nothing else.
Run: python bench/app_noop.py --port 7870
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from digits.web import gr, launch  # noqa: E402

ANSWER = {"7": 1.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7870)
    args = parser.parse_args()
    with gr.Blocks() as page:
        one = gr.File(type="filepath")
        label = gr.Label(num_top_classes=3)
        gr.Button(visible=False).click(lambda path: ANSWER, one, label, api_name="predict")
    served = launch(page, "127.0.0.1", args.port, share=False)
    print(f"page: {served.local_url}", file=sys.stderr, flush=True)
    while page.is_running:
        time.sleep(0.2)


if __name__ == "__main__":
    main()
