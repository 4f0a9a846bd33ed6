"""What can go wrong in a group scan, as errors a person sees (a message key, NL + EN)."""

from __future__ import annotations

from assistant.errors import SlimError


class GroupError(SlimError):
    key = "error.group_generic"
    exit_code = 2


class UnknownCodeError(GroupError):
    """A join code that belongs to no scan (mistyped, or the scan was deleted). Says nothing else."""

    key = "error.group_unknown_code"


class UnknownSecretError(GroupError):
    """A facilitator link that opens no scan."""

    key = "error.group_unknown_secret"


class ScanNotFoundError(GroupError):
    """A scan id (command line) that does not exist."""

    key = "error.group_not_found"


class ScanClosedError(GroupError):
    """An answer sent after the scan was closed (by the facilitator or its closing date)."""

    key = "error.group_closed"


class AnonymityLockedError(GroupError):
    """Switching anonymity off once people have answered anonymously."""

    key = "error.group_anonymity_locked"


class AnonymousScanError(GroupError):
    """A name sent for a scan that is anonymous: names are only kept where the coordinator switched
    anonymity off."""

    key = "error.group_anonymous"


class UnknownThemeError(GroupError):
    """A theme that is not in the scan (or not in the question bank)."""

    key = "error.group_unknown_theme"


class ThemeNotInBankError(UnknownThemeError):
    """A new scan asking about a theme the question bank does not have (a typo, or a theme since removed):
    the message lists the themes there are."""

    key = "error.group_theme_not_in_bank"


class AgendaError(GroupError):
    """An agenda that cannot be built as asked (length, number of themes, minutes that do not fit)."""

    key = "error.group_agenda"
