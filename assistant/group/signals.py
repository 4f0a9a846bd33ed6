"""Which signals of the coaching bank a theme's explanations carry, for the facilitator: "4 van 9
toelichtingen: het doel is nooit echt uitgesproken".

Each explanation is matched as the guide matches a coordinator's answer (``SignalChooser``: multilingual-e5
similarity to the signal's example answers, nothing below its confidence threshold, no language model), so
the group scan and the conversation recognise the same things. Only signals that at least ``MIN_COUNT``
explanations carry are named — one explanation is a quote, not a pattern of the group — and at most
``TOP``. What an explanation carried is remembered by its text, so the live facilitator page does not
embed the same sentence twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from assistant.coaching import CoachingBank
from assistant.config import Language
from assistant.embeddings import SlimEmbeddings
from assistant.group.catalog import GroupCatalog
from assistant.group.models import SignalCount
from assistant.reflection.signals import SignalChooser

MIN_COUNT = 2
TOP = 3
ROLE = "coordinator"
"""the group scan's questions are the coordinator's view of the network"""


class ExplanationSignals:
    """Counts signals in explanations; shared by a process (it holds only vectors and the texts' matches)."""

    def __init__(self, bank: CoachingBank, embeddings: SlimEmbeddings, cache_dir: Path | None = None) -> None:
        self.chooser = SignalChooser(bank, embeddings, cache_dir=cache_dir)
        self._seen: dict[tuple[str, str], str | None] = {}
        self._lock = threading.Lock()

    def signal_of(self, theme: str, text: str) -> str | None:
        """The signal one explanation carries, or None when none fits well enough."""
        key = (theme, " ".join(text.split()))
        with self._lock:
            if key in self._seen:
                return self._seen[key]
        chosen = self.chooser.choose(key[1], "", theme, ROLE, None, use_model=False).chosen
        with self._lock:
            self._seen[key] = chosen
        return chosen

    def count(self, theme: str, texts: list[str], catalog: GroupCatalog, lang: Language) -> list[SignalCount]:
        """The signals at least ``MIN_COUNT`` of ``texts`` carry, most first (then the bank's order)."""
        kept = [text for text in texts if text.strip()]
        if not self.chooser.bank.covers(theme) or len(kept) < MIN_COUNT:
            return []
        counts = Counter(s for s in (self.signal_of(theme, text) for text in kept) if s is not None)
        names = catalog.signal_names[theme]
        order = list(names)
        ranked = sorted((n, sid) for sid, n in counts.items() if n >= MIN_COUNT)
        ranked.sort(key=lambda pair: (-pair[0], order.index(pair[1])))
        return [SignalCount(signal=sid, name=names[sid](lang), count=n, total=len(kept)) for n, sid in ranked[:TOP]]
