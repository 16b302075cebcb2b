"""PDFs written by hand for the tests and the document benchmark: pages of pen strokes (vector paths, as a tablet
writes them), of typed text, empty pages, and a PDF made encrypted. Images in PDFs come from Pillow's writer."""

from __future__ import annotations

from pathlib import Path

Stroke = list[tuple[float, float]]  # points in a unit box, y down, as bench/browser.py draws them


def strokes_page(strokes: list[Stroke], box: tuple[float, float, float], pen: float) -> bytes:
    """A content stream drawing `strokes` in a square of side `box[2]` points at (box[0], box[1]) from the page's top
    left, round pen `pen` points wide."""
    x0, y0, side = box
    ops = [f"{pen:.2f} w 1 J 1 j 0 G"]
    for stroke in strokes:
        (x, y), *rest = stroke
        ops.append(f"{x0 + x * side:.2f} {-(y0 + y * side):.2f} m")
        ops += [f"{x0 + u * side:.2f} {-(y0 + v * side):.2f} l" for u, v in rest]
        ops.append("S")
    return ("1 0 0 1 0 792 cm\n" + "\n".join(ops)).encode()  # y from the top of a letter page


def text_page(lines: list[str]) -> bytes:
    """A content stream of typed lines in Helvetica, from the top of a letter page."""
    body = " ".join(f"({line}) Tj 0 -20 Td" for line in lines)
    return f"BT /F1 14 Tf 72 720 Td {body} ET".encode()


def write_pdf(path: Path, contents: list[bytes], size: tuple[float, float] = (612, 792)) -> None:
    """A PDF of one letter page (or `size` points) per content stream; Helvetica as F1 for text."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for content in contents:
        stream = len(objects) + 2
        kids.append(f"{len(objects) + 1} 0 R")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {size[0]} {size[1]}] /Contents {stream} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>")
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content.decode('latin-1')}\nendstream")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    Path(path).write_bytes(bytes(out))


def encrypted(pdf: bytes) -> bytes:
    """The same PDF claiming the standard security handler with a user password it does not give: as a PDF saved
    with "require a password to open" reads without that password."""
    at = pdf.rindex(b"trailer")
    at = pdf.index(b"<<", at) + 2
    encrypt = (b" /Encrypt << /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <" + b"11" * 32 + b"> /U <" + b"22" * 32
               + b"> >> /ID [<" + b"33" * 16 + b"> <" + b"33" * 16 + b">] ")
    return pdf[:at] + encrypt + pdf[at:]
