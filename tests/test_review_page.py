"""The review page in Chromium, as a person uses it: the keyboard only (no click, no mouse), the real CLI serving it
in a subprocess, killed outright half way and started again."""

from __future__ import annotations

import csv
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from conftest import ROOT, run_cli
from test_review import copy_of, make_run, rows_of

from bench.browser import chromium_page, press, running_review, shown_row


def about(page) -> str:
    return page.locator("#about [data-testid=markdown]").inner_text()


def test_review_by_keyboard_killed_and_resumed(mnist_test, tmp_path):
    preds, truth = make_run(mnist_test, tmp_path / "run")
    preds = copy_of(preds, tmp_path)
    flagged = [r for r in rows_of(preds) if r["status"] != "ok"]
    assert len(flagged) >= 6, "the run should flag enough rows to review"
    said = {}
    with running_review(preds) as (url, app), chromium_page(url, wait_until="load") as (page, _):
        assert shown_row(page).startswith(f"Row 1 of {len(flagged)}")
        assert page.evaluate("document.activeElement.closest('#answer') !== null")  # typing goes to the answer

        first = flagged[0]
        assert first["path"] in about(page)
        assert press(page, "Enter") <= 2  # the model's reading accepted
        said[first["path"]] = first["prediction"]
        assert shown_row(page).startswith("Row 2 ")
        right = truth[flagged[1]["path"]]
        wrong = str((int(right) + 1) % 10) if flagged[1]["prediction"] == right else right  # differs from the model
        assert press(page, wrong, "Enter") <= 3  # one wrong digit corrected
        said[flagged[1]["path"]] = wrong
        assert press(page, "x", "Enter") == 2  # not a digit
        said[flagged[2]["path"]] = "x"
        press(page, "ArrowUp")  # back: the decision is shown, and Enter keeps it
        assert shown_row(page).startswith("Row 3 ") and "Decided: not a digit" in about(page)
        press(page, "ArrowDown")
        press(page, "ArrowDown")  # row 4 skipped
        assert shown_row(page).startswith("Row 5 ")
        page.keyboard.type("42")
        page.keyboard.press("Enter")  # a digit row takes one digit: refused, the row stays
        page.wait_for_function("() => document.querySelector('#about').innerText.includes('one digit, 0-9')")
        assert shown_row(page).startswith("Row 5 ")
        page.keyboard.press("Backspace")
        page.keyboard.press("Backspace")
        press(page, "4", "Enter")
        said[flagged[4]["path"]] = "4"

        app.process.kill()  # SIGKILL: no chance to write anything more
        app.process.wait()

    journal = [line for line in Path(str(preds) + ".review").read_text().splitlines()[1:]]
    assert len(journal) == len(said)  # every decision was on disk before the next row was shown
    with running_review(preds) as (url, app), chromium_page(url, wait_until="load") as (page, _):
        assert shown_row(page).startswith("Row 4 ")  # the first row not decided: the one skipped
        assert flagged[3]["path"] in about(page)
        right = truth.get(flagged[3]["path"], "x")
        press(page, right, "Enter")
        said[flagged[3]["path"]] = right
        app.stop()  # SIGTERM, as a system stops a service: the reviewed CSV is written
    assert app.process.returncode == 0, "\n".join(app.lines)
    reviewed = {r["path"]: r for r in rows_of(tmp_path / "preds.reviewed.csv")}
    assert len(reviewed) == len(rows_of(preds))
    for path, answer in said.items():
        row = reviewed[path]
        assert row["reviewed_by"] == "person"
        assert (row["status"], row["prediction"]) == (("not_digit", "") if answer == "x" else ("reviewed", answer))
    untouched = [r for p, r in reviewed.items() if p not in said]
    assert all(r["reviewed_by"] == "" and r["prediction"] == r["model_prediction"] for r in untouched)


def test_review_numbers_by_keyboard(mnist_test, tmp_path):
    """A `--numbers` run: each digit shown with its confidence; a number typed in full keeps its zeros."""
    from conftest import number_with_marks

    scans = tmp_path / "numbers"
    scans.mkdir()
    for k, text in enumerate(["307", "4096", "58", "1200"]):
        number_with_marks(mnist_test, text, {}, seed=k).save(scans / f"{k}.png")
    preds = tmp_path / "numbers.csv"
    done = run_cli("batch", scans, "--numbers", "--out", preds, "-q")
    assert done.returncode == 0, done.stderr
    with running_review(preds, "--only", "ok,low_confidence") as (url, app), \
            chromium_page(url, wait_until="load") as (page, _):
        assert shown_row(page).startswith("Row 1 of 4")
        page.wait_for_selector("#seen img")
        assert page.locator("#seen img").count() >= 2  # each digit as the model saw it
        first = rows_of(preds)[0]
        assert f"{first['prediction']}" in page.locator("#label").inner_text()
        press(page, "Enter")
        press(page, "0", "7", "0", "Enter")
        app.stop()
    reviewed = rows_of(tmp_path / "numbers.reviewed.csv")
    assert reviewed[0]["prediction"] == first["prediction"] and reviewed[0]["reviewed_by"] == "person"
    assert reviewed[1]["prediction"] == "070" and reviewed[1]["status"] == "reviewed"


def test_the_page_shows_no_file_outside_the_images_folder(mnist_test, tmp_path):
    """A link out of the scanned folder, and rows edited to climb out: refused on the page, never sent."""
    preds, _ = make_run(mnist_test, tmp_path / "run")
    secret = tmp_path / "secret.png"
    shutil.copy(preds.parent / "scans" / "000.png", secret)
    (preds.parent / "scans" / "000_link.png").symlink_to(secret)
    done = run_cli("batch", preds.parent / "scans", "--out", preds, "-q")
    assert done.returncode == 3, done.stderr
    rows = rows_of(preds)
    link = next(i for i, row in enumerate(rows) if row["path"] == "000_link.png")
    rows[link + 1]["path"], rows[link + 2]["path"] = "../../secret.png", str(secret)
    rows[link + 3]["path"] = "gone.png"  # a file that is not there: the row says so, and can still be answered
    for i, row in enumerate(rows):
        row["status"] = "low_confidence" if link <= i <= link + 3 else "ok"
    with open(preds, "w", newline="") as f:  # a tampered CSV: still batch's columns
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with running_review(preds, "--only", "low_confidence") as (url, app), \
            chromium_page(url, wait_until="load") as (page, requests):
        for n in range(3):
            assert shown_row(page).startswith(f"Row {n + 1} ")
            page.wait_for_function("() => document.querySelector('#about').innerText.includes('refused')")
            assert page.locator("#scan img").count() == 0
            press(page, "ArrowDown")
        page.wait_for_function("() => document.querySelector('#about').innerText.includes('file not found')")
        press(page, "5", "Enter")
        assert not [u for u in requests if "secret" in u]
        for path in (secret, ROOT / "README.md"):  # Gradio's file route serves neither
            try:
                status = urllib.request.urlopen(f"{url}/gradio_api/file={path}").status
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status in (403, 404), path
        app.stop()
    gone = next(r for r in rows_of(preds.with_name("preds.reviewed.csv")) if r["path"] == "gone.png")
    assert (gone["prediction"], gone["status"]) == ("5", "reviewed")
