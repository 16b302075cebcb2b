"""`python export/to_onnx.py [--keras M.keras]... [--out M.onnx] [--data DIR]` from a checkout: Keras to ONNX, as
`digits export` (the code is digits/export.py; it needs the `train` extra)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, the repo root holds `digits`
from digits.cli import app  # noqa: E402

if __name__ == "__main__":
    app(["export", *sys.argv[1:]], prog_name="digits")
