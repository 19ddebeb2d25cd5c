"""Real headless Chromium for the tests (Playwright driving Debian's /usr/bin/chromium, which CI
installs: a missing browser is a failure, never a skip), and a page that records what it did."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
LAPTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@contextmanager
def chromium():
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless", "--disable-background-networking"]
        )
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """A page in a fresh browser context, with every request, console error and page error."""

    def __init__(self, browser, viewport=LAPTOP):
        self.context = browser.new_context(viewport=viewport)
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, url: str):
        self.page.goto(url)
        # drawn: every chart and sparkline holds a plotly graph
        self.page.wait_for_function(
            "() => { const c = document.querySelectorAll('.chart, .spark');"
            " return c.length > 0 && [...c].every(e => e.classList.contains('js-plotly-plot')); }"
        )
        return self.page

    def close(self):
        self.context.close()
