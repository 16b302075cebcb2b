"""`python export/to_onnx.py [--keras M.keras]... [--out M.onnx] [--data DIR]` from a checkout: Keras to ONNX, as
`digits export` (the code is digits/training/export.py; it needs the `train` extra)."""

import sys

from digits.cli import app

if __name__ == "__main__":
    app(["export", *sys.argv[1:]], prog_name="digits")
