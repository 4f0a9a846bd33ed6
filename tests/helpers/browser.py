"""How the browser tests launch Chromium (Debian's build, driven by Playwright, nothing downloaded) and take
a file from a download button."""

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]  # fmt: skip


def downloaded(page, button: str) -> Path:
    """The file a download button gives. A click can go unanswered (on the facilitator's page, which reruns
    every second; or right after another download, where Chromium now and then starts none), and a person
    then clicks again — so does this, once."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    def once() -> Path:
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name=button).click()
        return Path(download.value.path())

    try:
        return once()
    except PlaywrightTimeout:
        return once()
