"""The real browsers of ``slim bench --group N --browsers B``: B participants in headless Chromium fill in
the same scan through the running app while the N simulated participants write through the store, and a
facilitator's page follows the answers once the results show.

Measured, from the pages' own clocks (Playwright's round trips are not in the figures):

- a participant's click: from the click on a score label until "Opgeslagen." shows in that theme's box and
  the server's rerun has finished (``assistant.evaluation.browser.WATCH``), target ≤ 300 ms;
- the facilitator's lag: a browser participant changes an answer after the reveal; from that click until
  the facilitator's page (another browser context) shows the theme's new distribution, target ≤ 2 s. Both
  pages stamp ``performance.timeOrigin + performance.now()``: one machine, one clock.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from assistant.config import PROJECT_ROOT, Settings
from assistant.evaluation.browser import BROWSER_ARGS, CHROMIUM, WATCH
from assistant.evaluation.group import FOLDER_PREFIX
from assistant.group.links import facilitator_url, join_url
from assistant.group.models import CreatedScan
from assistant.group.results import SCORES, scan_results
from assistant.group.store import LIVE_EVERY_S, GroupStore
from assistant.i18n import t

PROMPTS = PROJECT_ROOT / "prompts"
ROUNDS = 2
"""each browser fills in the scan this many times ("next participant" in between): more clicks timed"""
CHANGES = 12
"""answers a browser participant changes after the reveal, each timed until the facilitator's page shows it"""
PAUSE_S = 1.0
"""the most a participant waits between two changes (at random), so the changes fall at every point of the
facilitator page's poll interval (``LIVE_EVERY_S``), not always just after a poll"""

STAMP_CLICK = """() => {
    if (!window.__slimStamped) {
        window.__slimStamped = true;
        document.addEventListener('click', () => {
            window.__slimClickAt = performance.timeOrigin + performance.now();
        }, true);
    }
}"""

FOLLOW = """([theme, expected]) => {
    // In the page: when the theme's box first shows the expected distribution, on the shared clock.
    const shows = () => document.querySelector('.st-key-result-' + theme)?.innerText.includes(expected);
    window.__slimShownAt = null;
    window.__slimFollow?.disconnect();
    window.__slimFollow = new MutationObserver(() => {
        if (window.__slimShownAt === null && shows()) {
            window.__slimShownAt = performance.timeOrigin + performance.now();
            window.__slimFollow.disconnect();
        }
    });
    window.__slimFollow.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""

NOT_BUSY = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
"""the server has finished the page's rerun (Streamlit shows its status widget while one runs)"""
IDLE = f"() => {NOT_BUSY}"


@dataclass
class Filled:
    """What the browser participants' clicks gave."""

    times: list[float] = field(default_factory=list)
    """ms from each click until "Opgeslagen." showed (a click that never did is left out: the store check
    counts it as lost)"""
    firsts: list[float] = field(default_factory=list)
    """when each browser participant first clicked (epoch seconds: the simulation's clock)"""
    clicked_at: list[float] = field(default_factory=list)
    """when each click happened (epoch seconds), to tell which fell while the simulation still wrote"""


class GroupBrowsers:
    """The app (``streamlit run``) on its own data folder, and Chromium with a context per participant.

    ``run_group_bench`` creates each run's scan in ``data_dir``, calls ``join`` before its simulated
    participants start, ``fill`` while they write, and ``follow`` once they are done."""

    def __init__(self, settings: Settings, count: int, rounds: int = ROUNDS, changes: int = CHANGES) -> None:
        self.settings, self.count, self.rounds, self.changes = settings, count, rounds, changes
        self.pause_s, self.live_every_s = PAUSE_S, LIVE_EVERY_S
        self._stack = contextlib.ExitStack()
        self.pages: list = []
        self.clicked: dict[str, dict[str, int]] = {}
        """participant token → theme → the score last clicked: what the store must hold afterwards"""

    def __enter__(self) -> GroupBrowsers:
        from playwright.sync_api import sync_playwright

        from assistant.llm import free_port

        self.data_dir = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX)))
        (self.data_dir / "chroma").symlink_to(self.settings.chroma_dir.resolve(), target_is_directory=True)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.app_settings = self.settings.model_copy(
            update={"data_dir": self.data_dir, "llm": "none", "public_url": self.url}
        )
        env = dict(os.environ, SLIM_DATA_DIR=str(self.data_dir), SLIM_LLM="none", SLIM_PUBLIC_URL=self.url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "ui" / "app.py"), "--server.port",
             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
            env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._stack.callback(lambda: (proc.terminate(), proc.wait(timeout=30)))
        playwright = self._stack.enter_context(sync_playwright())
        self.browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        self._stack.callback(self.browser.close)
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.url}_stcore/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.2)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _context(self, width: int):
        """A browser context of its own: separate cookies and session, as another person's browser."""
        return self.browser.new_context(viewport={"width": width, "height": 900})

    # --- participants --------------------------------------------------------------------------------------

    def join(self, created: CreatedScan) -> None:
        """Each browser opens the scan's join link in its own context and waits until the form is there."""
        scan = created.scan
        self.lang = scan.settings.lang
        self.themes = list(scan.settings.themes)
        for page in self.pages:  # the previous run's participants
            page.context.close()
        self.pages = [self._context(1100).new_page() for _ in range(self.count)]
        self.clicked = {}
        title = t("group.fill_title", self.lang, network=scan.settings.network)
        for page in self.pages:
            page.goto(join_url(self.app_settings, scan.code))
            page.get_by_text(title).wait_for(timeout=120_000)
            page.wait_for_function(f"() => location.search.includes('p=') && ({NOT_BUSY})", timeout=60_000)

    def _box(self, page, theme: str):
        return page.locator(f".st-key-theme-{theme}")

    def _choose(self, page, theme: str, value: int) -> None:
        self._box(page, theme).locator("label").filter(has_text=re.compile(rf"^{value} —")).click()
        token = parse_qs(urlparse(page.url).query)["p"][0]
        self.clicked.setdefault(token, {})[theme] = value

    def fill(self) -> Filled:
        """Every browser scores every theme, all browsers at once, ``rounds`` times (a fresh participant
        each round)."""
        saved = t("group.saved", self.lang)
        shown = f"document.querySelector('.st-key-theme-' + arg)?.innerText.includes({saved!r})"
        filled = Filled()
        for round_ in range(self.rounds):
            if round_:
                self._next_participant()
            for i, theme in enumerate(self.themes):
                for b, page in enumerate(self.pages):
                    page.evaluate(WATCH, [shown, theme])
                    self._choose(page, theme, 1 + (b + round_ + i) % 5)
                for page in self.pages:
                    clicked_at = page.evaluate("() => (performance.timeOrigin + window.__slimClick) / 1000")
                    filled.clicked_at.append(clicked_at)
                    if i == 0:
                        filled.firsts.append(clicked_at)
                    with contextlib.suppress(Exception):  # a click never saved: the store check counts it
                        page.wait_for_function("() => window.__slimDone !== null", timeout=30_000)
                        filled.times.append(page.evaluate("() => window.__slimDone - window.__slimClick"))
        return filled

    def _next_participant(self) -> None:
        """The shared-laptop button: a fresh token, an empty form."""
        button = t("group.next_participant", self.lang)
        for page in self.pages:
            before = page.url
            page.get_by_role("button", name=button).click()
            page.wait_for_function(f"() => location.href !== {before!r}", timeout=30_000)
        saved = t("group.saved", self.lang)
        for page in self.pages:
            page.wait_for_function(
                f"() => !document.body.innerText.includes({saved!r}) && ({NOT_BUSY})", timeout=30_000
            )

    def lost(self, store: GroupStore, scan_id: str) -> tuple[int, int]:
        """(answers the browsers gave, how many of them the store does not hold as last chosen)."""
        given = sum(len(themes) for themes in self.clicked.values())
        missing = 0
        for token, themes in self.clicked.items():
            stored = store.answers_of(scan_id, token)
            missing += sum(1 for theme, value in themes.items() if theme not in stored or stored[theme].score != value)
        return given, missing

    # --- the facilitator -------------------------------------------------------------------------------------

    def _distribution(self, store: GroupStore, scan_id: str, theme: str, change: tuple[int, int] | None = None) -> str:
        """The theme's distribution line as the results show it, after one answer moves from score
        ``change[0]`` to ``change[1]``."""
        result = next(r for r in scan_results(store, store.get(scan_id), PROMPTS, None).themes if r.theme == theme)
        counts = {s: result.distribution.get(s, 0) for s in SCORES}
        if change:
            counts[change[0]] -= 1
            counts[change[1]] += 1
        return t("group.distribution", self.lang, counts=" · ".join(f"{s}: {c}" for s, c in counts.items()))

    def follow(self, store: GroupStore, created: CreatedScan) -> list[float]:
        """Reveal, open the facilitator's page, then let the first browser participant change their answer on
        the first theme ``changes`` times. Returns the seconds from each change's click until the
        facilitator's page shows the theme's new distribution (inf: not within 30 s)."""
        scan_id, theme = created.scan.id, self.themes[0]
        store.reveal(scan_id)
        facilitator = self._context(1280).new_page()
        facilitator.goto(facilitator_url(self.app_settings, created.secret))
        box = facilitator.locator(f".st-key-result-{theme}")
        # the first results page loads the report's passages for the tips: setup, not timed
        box.get_by_text(self._distribution(store, scan_id, theme)).wait_for(timeout=300_000)
        facilitator.wait_for_function(IDLE, timeout=60_000)
        participant = self.pages[0]
        participant.evaluate(STAMP_CLICK)
        token = parse_qs(urlparse(participant.url).query)["p"][0]
        pause = random.Random(0)
        lags: list[float] = []
        for _ in range(self.changes):
            current = self.clicked[token][theme]
            new = current % 5 + 1
            expected = self._distribution(store, scan_id, theme, (current, new))
            facilitator.evaluate(FOLLOW, [theme, expected])
            self._choose(participant, theme, new)
            try:
                facilitator.wait_for_function("() => window.__slimShownAt !== null", timeout=30_000)
                shown_at = facilitator.evaluate("() => window.__slimShownAt")
                lags.append((shown_at - participant.evaluate("() => window.__slimClickAt")) / 1000)
            except Exception:  # noqa: BLE001 - a change the page never showed counts as infinitely late
                lags.append(float("inf"))
            participant.wait_for_function(IDLE, timeout=30_000)
            time.sleep(pause.uniform(0, self.pause_s))
        facilitator.context.close()
        return lags
