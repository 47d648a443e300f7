"""Headless Chromium fixtures for browser-side tests.

Uses Debian's /usr/bin/chromium through the Playwright sync API directly (not
pytest-playwright's fixtures). Never run `playwright install`.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(bypass_csp=True)
    try:
        yield context.new_page()
    finally:
        context.close()


LOGIC_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "logic.js"


@pytest.fixture
def logic_page(page):
    page.set_content("<!doctype html><title>t</title>")
    page.add_script_tag(path=str(LOGIC_JS))
    return page
