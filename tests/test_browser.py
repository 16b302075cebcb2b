"""The real page in a real browser: Debian's Chromium driven by Playwright, drawing with the mouse like a user."""

from conftest import ROOT

from bench.browser import ONE, SEVEN, ZERO, beside, chromium_page, draw, top_label, wait_for_reading


def test_draw_clear_draw_upload_and_stay_on_loopback(page_url):
    with chromium_page(page_url) as (page, requests):
        assert page.locator("#message").inner_text().startswith("Draw a digit")

        draw(page, ONE)
        assert wait_for_reading(page, "1") == "1"
        assert "Reads 1" in page.locator("#message").inner_text()
        assert page.locator("#seen img").count() == 1  # what the model saw, shown

        page.locator("#clear").click()
        page.wait_for_function("() => !document.querySelector(\"#label [data-testid='label-output-value']\")")
        assert top_label(page) == "" and "Draw a digit" in page.locator("#message").inner_text()

        draw(page, SEVEN)
        assert wait_for_reading(page, "7") == "7"
        page.locator("#clear").click()  # a second clear works too (Gradio 6 clears on None only once)
        page.wait_for_function("() => !document.querySelector(\"#label [data-testid='label-output-value']\")")
        draw(page, SEVEN)
        assert wait_for_reading(page, "7") == "7"

        page.get_by_role("tab", name="Upload").click()
        page.locator("#one input[type=file]").set_input_files(str(ROOT / "examples" / "scans" / "2_1.webp"))
        assert wait_for_reading(page, "2") == "2"

        page.get_by_role("button", name="9_1.bmp").click()  # a bundled example
        assert wait_for_reading(page, "9") == "9"

    hosts = {url.split("/")[2] for url in requests if url.startswith("http")}
    assert hosts == {page_url.split("/")[2]}, f"the page requested {hosts}"


def test_number_mode_reads_a_two_digit_number_written_on_the_wide_sketchpad(page_url):
    with chromium_page(page_url) as (page, requests):
        page.get_by_role("tab", name="Number").click()
        draw(page, beside(SEVEN, ZERO), pad="#number-sketch")
        assert wait_for_reading(page, "70", "number") == "70"
        assert page.locator("#number-digits img").count() == 2  # each digit as the model saw it
        assert "Reads 70" in page.locator("#number-message").inner_text()
    assert {url.split("/")[2] for url in requests if url.startswith("http")} == {page_url.split("/")[2]}
