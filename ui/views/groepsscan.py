"""The group scan page (``/groepsscan``): create a scan, fill one in (``?code=``), or see its results and
build the agenda (``?beheer=``). The views themselves are in ``ui.group``."""

from ui.group import page

page()
