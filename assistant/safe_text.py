"""Text that SLIM did not write itself, made safe for each place it is shown.

A person's documents, their answers, session titles and file names are data: wherever they are shown
they must read as the characters they are, never as a link, an image, math, styling or HTML. Each sink
(where text ends up) has one function here, and every string that does not come from SLIM's own content
files goes through it:

- ``untrusted_markdown``: Streamlit Markdown (``st.markdown``, captions, messages, tooltips) and the
  Markdown export (any CommonMark/GFM viewer): shown literally, addresses inert;
- ``heading_markdown``: a title or heading (``st.title`` also renders Markdown): one literal line;
- ``model_markdown``: what SLIM composes and the language model writes: emphasis, lists and headings
  stay, but no link, image, math, directive or HTML, and a quotation (“…”) is shown literally, because
  it quotes a document or a person;
- ``without_links``: the content rule for everything SLIM says (also on the command line): a link, image
  or address is replaced by a short note;
- ``plot_text``: matplotlib labels (``$…$`` is mathtext there, and an unknown symbol raises).

The PDF (fpdf2, ``markdown=False``) and JSON exports take text as it is: neither renders anything.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"  # invisible; splits an address so no renderer turns it into a link

# Streamlit's Markdown: CommonMark + GFM (autolinks, tables, strikethrough) + math ($) + directives
# (:red[…], :material/…:); a backslash before ASCII punctuation always means the character itself.
_INLINE = re.compile(r"([\\`*_\[\]<>$&|~#])")
# in SLIM's own text a citation '[1]' stays as it is: with every other bracket escaped there is no link
# definition it could refer to, so it can never become a link
_MODEL_INLINE = re.compile(r"(\[\d+\])(?![(\[:])|([\\`\[\]<$&|~])")
_LINE_START = re.compile(r"^([ \t]*)([-+=])", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)
# what a GFM renderer links without any link syntax: a scheme with //, www., an e-mail address
_SCHEME = re.compile(r"\b([a-z][a-z0-9+.-]*)(?=://)", re.IGNORECASE)
_WWW = re.compile(r"\b(www)(?=\.)", re.IGNORECASE)
_AT = re.compile(r"@(?=[\w-])")
# a directive (:red[…], :material/…:) starts at a colon directly before a letter; Streamlit rewrites
# ':material/' before parsing, so a word joiner (not a backslash) keeps the text as it was written
_DIRECTIVE = re.compile(r":(?=[A-Za-z])")
_QUOTATION = re.compile(r"(“[^”\n]*”)")


def _inert(text: str) -> str:
    """Addresses and directives stay readable but are no longer recognised as such: a word joiner after
    the scheme, after 'www', after '@' and after a colon before a letter."""
    text = _DIRECTIVE.sub(f":{WORD_JOINER}", text)
    text = _SCHEME.sub(rf"\1{WORD_JOINER}", text)
    text = _WWW.sub(rf"\1{WORD_JOINER}", text)
    return _AT.sub(f"@{WORD_JOINER}", text)


def _escape(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(r"\\\1", text)


def untrusted_markdown(text: str) -> str:
    """Someone else's text as Markdown that shows exactly that text: no link, image, math, directive,
    HTML, emphasis, list or heading, and no address that a viewer would make clickable."""
    text = _escape(_INLINE, text)
    text = _LINE_START.sub(r"\1\\\2", text)  # '- x', '+ x', '===' at the start of a line
    text = _NUMBERED.sub(r"\1\\\2", text)  # '1. x', '1) x'
    return _inert(text)


def heading_markdown(text: str) -> str:
    """A title someone chose (a session title), for ``st.title`` and Markdown headings: one literal line."""
    return untrusted_markdown(" ".join(text.split()))


def model_markdown(text: str) -> str:
    """SLIM's and the model's Markdown, which quotes documents and people: bold, italics, lists and
    headings render; links, images, math, directives, HTML and addresses do not; quotations (“…”) are
    shown literally."""
    parts = _QUOTATION.split(text)
    for i, part in enumerate(parts):
        if i % 2:
            parts[i] = "“" + untrusted_markdown(part[1:-1]) + "”"
        else:
            parts[i] = _inert(_MODEL_INLINE.sub(lambda m: m.group(1) or "\\" + m.group(2), part))
    return "".join(parts)


_IMAGE = re.compile(r"!\[[^\]]*\]\((?:[^()]|\([^()]*\))*\)")
# a link to anything that looks like an address or a path: //host, /x, \\host, scheme:, www., a@b
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?(?=[^)]*[/\\:.@?#])(?:[^()]|\([^()]*\))*\)")
_AUTOLINK = re.compile(r"<[^<>\s]*[:/\\@][^<>\s]*>")
_DEFINITION = re.compile(r"^[ \t]*\[[^\]]+\]:[ \t]*\S.*$", re.MULTILINE)
_URL = re.compile(
    r"\b(?:(?:https?|ftp|file|data|javascript|vbscript|mailto|tel|xmpp):|www\.)[^\s<>\[\]()\"“”]+", re.IGNORECASE
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def without_links(text: str, replacement: str) -> str:
    """What SLIM says never carries a link, an image or an address onward: the page would fetch an image
    from anywhere (data leaving the machine), and a link written into a document is no advice of ours.
    The cited passages themselves stay readable under the answer, as plain text."""
    text = _IMAGE.sub(replacement, text)
    text = _LINK.sub(lambda m: f"{m.group(1)} {replacement}", text)
    text = _DEFINITION.sub(replacement, text)
    text = _AUTOLINK.sub(replacement, text)
    text = _URL.sub(replacement, text)
    return _EMAIL.sub(replacement, text)


def plot_text(text: str) -> str:
    """A label for matplotlib: '$' is a dollar sign, not the start of mathtext (which raises on an
    unknown symbol such as '$\\foo$')."""
    return text.replace("$", r"\$")
