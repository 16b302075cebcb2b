"""The real page in a real browser: Debian's Chromium driven by Playwright, drawing like a first-time visitor:
with the mouse on a desktop, with a finger (real touch events) on a 390x844 phone, never picking a tool first."""

from conftest import ROOT

from bench.browser import (
    FOUR_LEFT,
    LETTERS_AND_SHAPES,
    ONE,
    PHONE,
    READINGS,
    SEVEN,
    ZERO,
    beside,
    canvas,
    chromium_page,
    draw,
    top_label,
    touch,
    wait_for_reading,
)

UP = [[(0.5, 0.85), (0.5, 0.15)]]  # a 1 drawn upwards: the swipe that scrolls a page down, unless the pad stops it
NO_LABEL, NO_NUMBER = (f"() => {READINGS[which]} === ''" for which in ("digit", "number"))  # nothing read


def assert_only_loopback(requests: list[str], page_url: str) -> None:
    """Every request the page made went to the page's own server (on 127.0.0.1), none elsewhere."""
    hosts = {url.split("/")[2] for url in requests if url.startswith("http")}
    assert hosts == {page_url.split("/")[2]}, f"the page requested {hosts}"


def zoom(page, pad: str) -> str:
    """The scale Gradio's editor shows the pad's canvas at (its zoom read-out, hidden by page.css)."""
    return page.evaluate("pad => document.querySelector(`${pad} .zoom-number span`).textContent", pad)


def test_draw_undo_clear_switch_tabs_and_upload_on_a_desktop(page_url):
    with chromium_page(page_url) as (page, requests):
        assert page.locator("#message").inner_text().startswith("Draw a digit")

        draw(page, ONE)  # straight away: no tool to pick
        assert wait_for_reading(page, "1") == "1"
        assert "Reads 1" in page.locator("#message").inner_text()
        assert page.locator("#seen img").count() == 1  # what the model saw, shown
        pad = page.locator("#sketch").inner_text()
        assert "select the draw tool" not in pad and "%" not in pad  # no tool prompt, no zoom read-out
        for control in ("Zoom in", "Zoom out", "Pan", "Brush", "Erase"):
            assert not page.locator(f"#sketch button[aria-label='{control}']").is_visible(), control

        draw(page, FOUR_LEFT)  # a second stroke makes the 1 a 4 ...
        assert wait_for_reading(page, "4") == "4"
        page.locator("#undo").click()  # ... and Undo takes it back
        assert wait_for_reading(page, "1") == "1"
        page.locator("#undo").click()  # nothing left: the prompt again, not "no ink found"
        page.wait_for_function(NO_LABEL)
        assert page.locator("#message").inner_text().startswith("Draw a digit")

        draw(page, SEVEN)
        assert wait_for_reading(page, "7") == "7"
        page.locator("#clear").click()
        page.wait_for_function(NO_LABEL)
        assert top_label(page) == "" and "Draw a digit" in page.locator("#message").inner_text()
        draw(page, SEVEN)  # the pen is still on after Clear, and a second Clear works too
        assert wait_for_reading(page, "7") == "7"
        page.locator("#clear").click()
        page.wait_for_function(NO_LABEL)

        page.get_by_role("tab", name="Upload").click()
        page.locator("#one input[type=file]").set_input_files(str(ROOT / "examples" / "scans" / "2_1.webp"))
        assert wait_for_reading(page, "2") == "2"
        page.get_by_role("button", name="9_1.bmp").click()  # a bundled example
        assert wait_for_reading(page, "9") == "9"

        page.get_by_role("tab", name="Number").click()  # away and back: the pen is still on
        page.get_by_role("tab", name="One digit").click()
        page.get_by_role("tab", name="Draw").click()
        page.locator("#clear").click()
        page.wait_for_function(NO_LABEL)
        draw(page, ONE)
        assert wait_for_reading(page, "1") == "1"

    assert_only_loopback(requests, page_url)


def test_number_pad_draws_at_once_and_undo_and_clear_update_the_number(page_url):
    with chromium_page(page_url) as (page, requests):
        page.get_by_role("tab", name="Number").click()
        draw(page, beside(SEVEN, ZERO), pad="#number-sketch")
        assert wait_for_reading(page, "70", "number") == "70"
        assert page.locator("#number-digits img").count() == 2  # each digit as the model saw it
        assert "Reads 70" in page.locator("#number-message").inner_text()

        page.locator("#number-undo").click()  # the 0 was the last stroke
        assert wait_for_reading(page, "7", "number") == "7"
        page.locator("#number-clear").click()
        page.wait_for_function(NO_NUMBER)
        assert "Write a number" in page.locator("#number-message").inner_text()
        draw(page, beside(ONE, SEVEN), pad="#number-sketch")
        assert wait_for_reading(page, "17", "number") == "17"
    assert_only_loopback(requests, page_url)


def test_the_number_tab_reads_an_uploaded_photo_of_a_number(page_url, mnist_test, tmp_path):
    from conftest import number_with_marks

    photo = tmp_path / "meter.jpg"
    number_with_marks(mnist_test, "3084", {}, seed=5).convert("RGB").save(photo, quality=90)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG cut short")
    with chromium_page(page_url) as (page, requests):
        page.get_by_role("tab", name="Number").click()
        page.locator("#number-mode").get_by_role("tab", name="Upload").click()
        page.locator("#number-upload input[type=file]").set_input_files(str(photo))
        assert wait_for_reading(page, "3084", "number") == "3084"
        assert page.locator("#number-digits img").count() == 4
        page.locator("#number-upload button[aria-label='Clear']").click()
        page.locator("#number-upload input[type=file]").set_input_files(str(tmp_path / "broken.png"))
        page.wait_for_function("() => document.querySelector('#number-message').innerText.includes('Cannot read')")
        assert wait_for_reading(page, "", "number") == ""
    assert_only_loopback(requests, page_url)


def test_uploads_take_a_phone_photo_and_a_pdf_page_by_page(page_url, mnist_test, tmp_path):
    from test_documents import page_of

    from digits.documents import register_heif

    register_heif()
    from conftest import scan

    scan(mnist_test.images[3]).convert("RGB").save(tmp_path / "photo.heic")  # a phone's photo: HEIC
    pages = [page_of(mnist_test.images[i]) for i in range(3)]
    pages[0].save(tmp_path / "form.pdf", save_all=True, append_images=pages[1:], resolution=200)
    with chromium_page(page_url) as (page, requests):
        page.get_by_role("tab", name="Upload").click()
        page.locator("#one input[type=file]").set_input_files(str(tmp_path / "photo.heic"))
        assert wait_for_reading(page, str(mnist_test.labels[3])) == str(mnist_test.labels[3])
        page.locator("#many input[type=file]").set_input_files(str(tmp_path / "form.pdf"))
        page.wait_for_function("() => (document.querySelector('#table') || {innerText: ''}).innerText"
                               ".includes('form.pdf#page=3')")
        table = page.locator("#table").inner_text()
        for n in range(3):
            assert f"form.pdf#page={n + 1}\n{mnist_test.labels[n]}\n" in table, table
    assert_only_loopback(requests, page_url)


def test_a_phone_draws_with_a_finger_and_sees_the_reading_without_scrolling(page_url):
    width, height = PHONE["viewport"]["width"], PHONE["viewport"]["height"]
    with chromium_page(page_url, phone=True) as (page, requests):
        touch(page, UP)
        assert wait_for_reading(page, "1") == "1"
        assert page.evaluate("() => window.scrollY") == 0  # the finger drew; it did not scroll the page
        box = canvas(page).bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= width and box["width"] >= 0.8 * width
        assert int(zoom(page, "#sketch").rstrip("%")) >= 100  # the whole canvas, not shrunk to fit
        for reading in ("#message", "#label [data-testid='label-output-value']"):
            shown = page.locator(reading).bounding_box()
            assert shown["y"] >= 0 and shown["y"] + shown["height"] <= height, f"{reading} is below the fold"
        assert "Reads 1" in page.locator("#message").inner_text()

        page.locator("#clear").tap()
        page.wait_for_function(NO_LABEL)
        touch(page, SEVEN)
        assert wait_for_reading(page, "7") == "7"
        page.locator("#undo").tap()
        page.wait_for_function(NO_LABEL)

        page.get_by_role("tab", name="Number").tap()
        touch(page, beside(SEVEN, ZERO), pad="#number-sketch")
        assert wait_for_reading(page, "70", "number") == "70"
        pad = canvas(page, "#number-sketch").bounding_box()
        assert 0 <= pad["x"] and pad["x"] + pad["width"] <= width
        number = page.locator("#number").bounding_box()
        assert number["y"] + number["height"] <= height and page.evaluate("() => window.scrollY") == 0

        page.get_by_role("tab", name="One digit").tap()
        touch(page, [[(0.5, 1.9), (0.5, 1.2)]])  # the same swipe under the pad (on the reading) does scroll
        page.wait_for_function("() => window.scrollY > 0")
    assert_only_loopback(requests, page_url)


def test_letters_and_shapes_drawn_by_hand_are_not_read_as_digits(page_url):
    """What a first-time visitor tries after a digit: an A, an H, a smiley. None is read as a confident digit."""
    with chromium_page(page_url) as (page, requests):
        said = {}
        for name in ("A", "H", "smiley"):
            draw(page, LETTERS_AND_SHAPES[name])
            wait_for_reading(page, "not a digit", timeout_ms=60_000)  # after the last stroke, not the first
            said[name] = page.locator("#message").inner_text()
            page.locator("#clear").click()
            page.wait_for_function(NO_LABEL)
        assert not [m for m in said.values() if m.startswith("Reads")], said
        assert sum("doesn't look like a digit" in m and "Closest digits" in m for m in said.values()) >= 2, said
        draw(page, SEVEN)  # and a digit is still a digit
        assert wait_for_reading(page, "7") == "7" and "Reads 7" in page.locator("#message").inner_text()
        assert_only_loopback(requests, page_url)
