"""What a user's text must be before the core reads it."""

from __future__ import annotations

import unicodedata

MAX_TEXT = 4000


def clean_text(text: str) -> str:
    """Drop control characters (keep newlines and tabs) and surrounding blanks.

    Format characters stay (the joiner inside an emoji, RTL marks, bidi isolates), and so do
    characters this Python's Unicode tables do not know yet (newer emoji): the text reaches NEMO
    intact. A text of nothing but blanks and invisible characters is empty.
    """
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    visible = any(not ch.isspace() and unicodedata.category(ch) != "Cf" for ch in kept)
    return kept if visible else ""
