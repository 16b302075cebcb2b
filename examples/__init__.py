"""The bundled example scans (`scans/`): installed as `digits.examples` for the page (pyproject maps this folder)."""
