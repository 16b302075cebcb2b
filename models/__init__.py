"""The shipped model and its card: installed as `digits.models` (pyproject maps this folder into the package)."""
