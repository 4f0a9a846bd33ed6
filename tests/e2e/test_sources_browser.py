"""The "Bronnen van het rapport" page in headless Chromium (Debian's, driven by Playwright): opened from the
sidebar, it lists the report's sources with author and year and their status in the shared library, and a
source opened shows the passages of the report that cite it — in Dutch, then in English. A source added
with `slim sources add` while the app runs is listed and found by a question, without a restart.
Screenshots in test-artifacts/browser/sources-*.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e import test_browser as e2e
from tests.e2e.test_browser import ASK, AppServer, ask, open_app, shot
from tests.helpers.files import write_pdf

pytestmark = pytest.mark.browser

SALIGNAC = "Salignac et al. 2018"

# the browser tests' fixtures: the browser, a failure's evidence, and a server with its own copy of the index
# (the library's collection is written beside the report's)
browser = e2e.browser
_report_a_failure = e2e._report_a_failure
private_server = e2e.private_server


def add_source(data_dir: Path, pdf: Path) -> str:
    """`slim sources add`, in a process of its own, beside the running app."""
    env = dict(os.environ, SLIM_DATA_DIR=str(data_dir), SLIM_LLM="none")
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "sources", "add", str(pdf)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def entry(page, label: str):  # noqa: ANN201 — a Playwright locator
    """A source's expander on the page, by the start of its label ('✓ Salignac et al. 2018')."""
    return page.get_by_test_id("stExpander").filter(has=page.locator("summary", has_text=label)).first


def test_the_sources_page_lists_the_library_and_where_the_report_cites_a_source(
    private_server: AppServer, browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, private_server.url)
    salignac = write_pdf(
        tmp_path / "collective-impact.pdf",
        [
            "Understanding Collective Impact in Australia. A new approach to interorganizational collaboration.",
            "Een backbone-organisatie houdt de gezamenlijke agenda van de partners levend.",
        ],
    )
    assert "salignac-2018" in add_source(private_server.data_dir, salignac)  # while the app runs

    page.get_by_test_id("stSidebar").get_by_role("button", name="Bronnen van het rapport").click()
    page.get_by_role("heading", name="Bronnen van het rapport").wait_for(timeout=60_000)
    page.wait_for_function("() => location.pathname.endsWith('/bronnen')", timeout=30_000)
    expect(page.get_by_text("50 bronnen, waarvan 1 in de bibliotheek.")).to_be_visible()
    expect(entry(page, f"✓ {SALIGNAC} — in de bibliotheek")).to_be_visible()
    expect(entry(page, "· Wenger, Trayner & De Laat 2021 — niet in de bibliotheek")).to_be_visible()
    expect(entry(page, "· Crossan, Lane & White 1999")).to_be_visible()

    source = entry(page, f"✓ {SALIGNAC}")
    source.locator("summary").click()
    expect(source.get_by_text("Waar het rapport deze bron gebruikt (8):")).to_be_visible(timeout=30_000)
    expect(source.get_by_text("§3.3 Vormen van impact").first).to_be_visible()
    cited = source.locator("strong", has_text="Salignac et al. (2018)").first  # how the report names it, in bold
    expect(cited).to_be_visible()
    shot(page, "sources-nl")

    page.get_by_test_id("stSidebar").get_by_text("English").click()
    page.get_by_role("heading", name="The report's sources").wait_for(timeout=60_000)
    expect(page.get_by_text("50 sources, 1 of them in the library.")).to_be_visible()
    expect(entry(page, "· Wenger, Trayner & De Laat 2021 — not in the library")).to_be_visible()
    source = entry(page, f"✓ {SALIGNAC} — in the library")
    if not source.get_by_text("Where the report uses this source (8):").is_visible():
        source.locator("summary").click()
    expect(source.get_by_text("Where the report uses this source (8):")).to_be_visible(timeout=30_000)
    shot(page, "sources-en")

    # the source is searched with the report, by the same running app: cited as what it is
    page.get_by_test_id("stSidebar").get_by_text("Nederlands").click()
    page.get_by_test_id("stSidebar").get_by_role("button", name="Nieuwe sessie").click()
    page.get_by_role("button", name=ASK["mode"]).click()
    page.get_by_placeholder(ASK["input"]).wait_for(timeout=60_000)
    ask(page, "Wat doet een backbone-organisatie met de agenda?")
    expect(page.get_by_text(f"{SALIGNAC}, p. 2 — bron van het rapport").first).to_be_visible(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "sources-cited-in-an-answer")
