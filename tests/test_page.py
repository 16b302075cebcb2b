"""The page through its API: `python app_gradio.py` in a subprocess, called with gradio_client like a user would."""

import csv
import dataclasses
import socket
import subprocess
import sys

import httpx
import numpy as np
import pytest
from conftest import ROOT, number_with_marks, png_header
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from bench.browser import free_port, running_app

EXAMPLES = sorted((ROOT / "examples" / "scans").iterdir())


@pytest.fixture(scope="module")
def client(page_url):
    return Client(page_url, verbose=False)


def top(label: dict) -> str:
    return label["label"]


def test_predict_reads_every_bundled_example(client):
    read = {p.name: top(client.predict(handle_file(str(p)), api_name="/predict")) for p in EXAMPLES}
    assert read == {p.name: p.name[0] for p in EXAMPLES}


def test_predict_gives_top_three_with_probabilities(client):
    label = client.predict(handle_file(str(EXAMPLES[0])), api_name="/predict")
    confidences = label["confidences"]
    assert [c["label"] for c in confidences][0] == label["label"] and len(confidences) == 3
    assert 0.5 < confidences[0]["confidence"] <= 1 and sum(c["confidence"] for c in confidences) <= 1.0001


def test_transparent_sketch_png_reads_as_its_digit(client, mnist_test, tmp_path):
    """Black ink on a transparent background: read as the digit, not as an all-black square."""
    index = int(np.flatnonzero(mnist_test.labels == 4)[0])
    ink = np.asarray(Image.fromarray(mnist_test.images[index]).resize((140, 140), Image.BICUBIC))
    rgba = np.zeros((140, 140, 4), np.uint8)
    rgba[..., 3] = ink
    Image.fromarray(rgba, "RGBA").save(tmp_path / "sketch.png")
    assert top(client.predict(handle_file(str(tmp_path / "sketch.png")), api_name="/predict")) == "4"


@pytest.mark.parametrize("mode", ["L", "RGBA"])
def test_blank_image_is_no_digit(client, tmp_path, mode):
    Image.new(mode, (64, 64), 255 if mode == "L" else (0, 0, 0, 0)).save(tmp_path / "blank.png")
    assert client.predict(handle_file(str(tmp_path / "blank.png")), api_name="/predict") == {}


def test_bad_files_get_their_own_message_and_no_server_path(client, tmp_path):
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "huge.png").write_bytes(png_header(60000, 60000))
    expected = {"text.png": "not an image Pillow can read", "huge.png": "pixels"}
    for name, message in expected.items():
        with pytest.raises(AppError) as raised:
            client.predict(handle_file(str(tmp_path / name)), api_name="/predict")
        assert message in str(raised.value) and name in str(raised.value)
        assert "/tmp" not in str(raised.value) and "Traceback" not in str(raised.value)


def test_oversized_upload_is_refused_by_the_server(page_url, tmp_path):
    """Over 10 MB: the client refuses to send it, and the server refuses it when sent anyway."""
    big = tmp_path / "big.png"
    big.write_bytes(b"\0" * (10 * 2**20 + 1))
    with pytest.raises(ValueError, match="maximum file size"):
        Client(page_url, verbose=False).predict(handle_file(str(big)), api_name="/predict")
    with big.open("rb") as f:
        response = httpx.post(f"{page_url}/gradio_api/upload", files={"files": ("big.png", f)}, timeout=60)
    assert response.status_code == 413


def test_low_confidence_gives_a_hint_and_blank_a_prompt(classifier):
    from digits.config import Config
    from digits.web import read_sketch, shown

    confident = classifier.predict([np.asarray(Image.open(EXAMPLES[0]))])[0]
    probabilities = np.full(10, 0.02, np.float32)
    probabilities[[4, 9]] = [0.55, 0.29]
    unsure = dataclasses.replace(confident, digit=4, confidence=0.55, probabilities=probabilities)
    assert shown(confident, Config())[2].startswith("Reads")
    label, seen, message = shown(unsure, Config())
    assert message.startswith("Not sure") and "4" in message and "9" in message and "larger" in message
    assert list(label) == ["4", "9", "0"] and seen.shape == (224, 224)
    empty = {"background": None, "layers": [], "composite": None}
    assert read_sketch(empty, classifier, Config())[2].startswith("Draw")


def test_sketch_endpoint_reads_the_composite(client, tmp_path):
    Image.open(EXAMPLES[7]).save(tmp_path / "composite.png")
    value = {"background": None, "layers": [], "composite": handle_file(str(tmp_path / "composite.png"))}
    label, seen, message = client.predict(value, api_name="/predict_sketch")
    assert top(label) == EXAMPLES[7].name[0] and "Reads" in message
    assert Image.open(seen).size == (224, 224)  # the 28x28 input, enlarged
    empty = {"background": None, "layers": [], "composite": None}
    label, seen, message = client.predict(empty, api_name="/predict_sketch")
    assert (label, seen) == ({}, None) and message.startswith("Draw a digit")


def test_several_images_give_a_table_and_the_batch_csv(client, tmp_path):
    (tmp_path / "notes.png").write_text("not an image")
    files = [str(p) for p in EXAMPLES[:3]] + [str(tmp_path / "notes.png")]
    table, download = client.predict([handle_file(f) for f in files], api_name="/predict_many")
    rows = table["value"]["data"]
    assert table["value"]["headers"] == ["path", "prediction", "confidence", "status", "error"]
    assert [r[0] for r in rows] == [p.name for p in EXAMPLES[:3]] + ["notes.png"]
    assert [r[1] for r in rows[:3]] == [int(p.name[0]) for p in EXAMPLES[:3]]
    assert rows[3][3] == "error" and "not an image" in rows[3][4]
    with open(download["value"], newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert [r["path"] for r in written] == [r[0] for r in rows] and written[3]["status"] == "error"


def test_share_without_internet_still_serves_and_the_port_flag_beats_gradio_server_port(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_PORT", str(free_port()))  # running_app passes --port: the flag wins
    with running_app("--share") as (url, app):
        said = "\n".join(app.lines)
        assert "could not create a public link" in said and "Traceback" not in said
        assert f"page: {url}" in said
        label = Client(url, verbose=False).predict(handle_file(str(EXAMPLES[5])), api_name="/predict")
        assert top(label) == EXAMPLES[5].name[0]


def outside_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_binds_loopback_only_by_default(page_url):
    assert page_url.startswith("http://127.0.0.1:")
    address = outside_address()
    if address is None:
        pytest.skip("no network interface besides loopback to try")
    with pytest.raises(OSError):
        socket.create_connection((address, int(page_url.rsplit(":", 1)[1])), timeout=3).close()


def test_building_and_serving_the_page_connects_nowhere_but_loopback_and_imports_no_training_code():
    """Import, build and serve with an audit hook that records every socket connection the process makes."""
    code = """
import sys
seen = []
sys.addaudithook(lambda event, args: seen.append(repr(args[1])) if event == "socket.connect" else None)
from digits.inference import Classifier
from digits.web import build_page, launch
from bench.browser import free_port
served = launch(build_page(Classifier()), "127.0.0.1", free_port(), share=False)
import os
print(os.environ["GRADIO_ANALYTICS_ENABLED"], served.local_url)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf2onnx")))
print("\\n".join(seen), flush=True)
os._exit(0)
"""
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    first, training_modules, *connections = run.stdout.strip().splitlines()
    assert first.startswith("False http://127.0.0.1:")
    assert training_modules == "[]"  # the page serves without TensorFlow, Keras or tf2onnx
    outside = [c for c in connections if "127.0.0.1" not in c and "localhost" not in c and "'::1'" not in c]
    assert outside == []


def test_start_up_errors_are_one_line_with_exit_code_one(tmp_path):
    missing = subprocess.run([sys.executable, "app_gradio.py", "--model", str(tmp_path / "none.onnx")],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "model not found" in missing.stderr and "Traceback" not in missing.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = subprocess.run([sys.executable, "cli.py", "app", "--port", port],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert busy.returncode == 1 and "pass another --port" in busy.stderr and "Traceback" not in busy.stderr


def test_predict_number_reads_a_number_and_its_digits(client, mnist_test, tmp_path):
    digits = [mnist_test.images[int(np.flatnonzero(mnist_test.labels == d)[1])] for d in (4, 0, 7)]
    canvas = np.zeros((40, 3 * 34 + 12), np.uint8)
    for k, digit in enumerate(digits):
        canvas[6:34, 6 + 34 * k : 34 + 34 * k] = digit
    Image.fromarray(255 - canvas).resize((canvas.shape[1] * 4, 160), Image.BICUBIC).save(tmp_path / "407.png")
    read = client.predict(handle_file(str(tmp_path / "407.png")), api_name="/predict_number")
    assert read["number"] == "407" and [d["digit"] for d in read["digits"]] == [4, 0, 7] and read["left_out"] == []
    assert read["status"] == ("ok" if read["confidence"] >= 0.97 else "low_confidence")
    assert read["confidence"] == pytest.approx(np.prod([d["confidence"] for d in read["digits"]]), abs=1e-3)
    Image.new("L", (300, 100), 255).save(tmp_path / "blank.png")
    blank = client.predict(handle_file(str(tmp_path / "blank.png")), api_name="/predict_number")
    assert blank == {"number": "", "confidence": 0.0, "status": "blank", "digits": [], "left_out": []}
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(AppError, match="not an image"):
        client.predict(handle_file(str(tmp_path / "text.png")), api_name="/predict_number")


def test_the_model_card_says_how_many_cnns_are_averaged():
    from digits.inference import Classifier
    from digits.web import model_card

    card = model_card(Classifier())
    assert "| model | 2 small CNNs averaged (1 also trained on touching digits), 0.7" in card
    assert '| says "not a digit" | yes, at 90% or more: a small CNN beside the readers (the gate)' in card


def test_a_drawn_star_is_not_a_digit_and_a_dash_in_a_number_is_left_out(client, mnist_test, tmp_path):
    from bench.browser import LETTERS_AND_SHAPES
    from digits.training.scanlike import render_scan
    from digits.training.strokes import draw

    star = draw(([np.array(s) for s in LETTERS_AND_SHAPES["star"]], []), pen=7)
    render_scan(star, np.random.default_rng(0)).save(tmp_path / "star.png")
    label = client.predict(handle_file(str(tmp_path / "star.png")), api_name="/predict")
    names = [c["label"] for c in label["confidences"]]
    assert top(label) == "not a digit" and names[0] == "not a digit" and len(names) == 3
    assert label["confidences"][0]["confidence"] >= 0.5 and all(n.isdigit() for n in names[1:])

    number_with_marks(mnist_test, "812", {1: "dot", 2: "dash"}, 6).save(tmp_path / "8.1-2.png")  # the dot: a speck
    read = client.predict(handle_file(str(tmp_path / "8.1-2.png")), api_name="/predict_number")
    assert read["number"] == "812" and [p["after"] for p in read["left_out"]] == [2], read
    assert read["left_out"][0]["not_digit"] > 0.5


def test_the_page_has_its_own_pixel_limit_and_removes_its_csvs(client, classifier, tmp_path):
    """A 13-megapixel image, which `batch` would decode, is refused by the page; a request's CSV does not stay."""
    import time
    from pathlib import Path

    from digits.config import Config
    from digits.web import read_many

    (tmp_path / "photo.png").write_bytes(png_header(4000, 3250))
    with pytest.raises(AppError, match="4000x3250 pixels is above the limit of 12,000,000"):
        client.predict(handle_file(str(tmp_path / "photo.png")), api_name="/predict")
    work = tmp_path / "work"
    work.mkdir()
    table = read_many([str(EXAMPLES[0]), str(tmp_path / "photo.png")], classifier, Config(), work, keep_seconds=0.5)
    assert "12,000,000" in table.rows[1][4] and Path(table.csv).is_file()
    deadline = time.monotonic() + 10
    while any(work.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(work.iterdir()) == []
