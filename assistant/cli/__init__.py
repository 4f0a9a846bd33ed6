"""The ``slim`` command: build the index, search it, ask, reflect, run a group scan, measure.

Every command reads the one ``Settings`` object (``SLIM_*`` variables). Expected failures are
``SlimError``s: one line in the person's language (``SLIM_LANG``) on stderr and their exit code (2 for
bad input); nothing is written to the index before all input has been read. Each module below registers its
commands on the one ``app`` (``common``), in the order ``slim --help`` lists them.
"""

from assistant.cli import search, measure, ask, reflect, group  # noqa: F401, I001  (each registers its commands)
from assistant.cli.common import app

__all__ = ["app"]
