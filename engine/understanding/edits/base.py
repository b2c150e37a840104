"""The pieces every edit is made of: the clause it reads, what a builder returns, the declaration."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import slots
from ..ops import Op


@dataclass(frozen=True)
class Question:
    """An ambiguous request: one short question and the instructions to choose from."""

    en: str
    zh: str
    choices_en: tuple[str, ...]
    choices_zh: tuple[str, ...]


@dataclass(frozen=True)
class Note:
    """Understood, but it cannot be done as asked (e.g. a watermark with no image uploaded)."""

    en: str
    zh: str


@dataclass
class Clause:
    """One instruction of a message. ``low`` is the lower-cased text with quotes as placeholders, numbers
    as digits; characters an edit has used are blanked in it (same length as ``text``)."""

    text: str
    low: str
    quotes: list[str]
    total: float  # length of the draft, seconds
    speed: float  # current playback speed
    volume: float  # current clip volume
    has_music: bool
    media: Sequence[dict[str, Any]]
    last: Sequence[Op]
    whole: str  # the whole message, lower-cased (a setting said once applies to all its clauses)
    used_time: bool = False

    def claim(self, a: int, b: int) -> None:
        self.low = slots.blank(self.low, a, b)

    def claim_all(self, pattern: re.Pattern[str]) -> None:
        for m in list(pattern.finditer(self.low)):
            self.claim(m.start(), m.end())

    def times(self) -> list[slots.Time]:
        return slots.times(self.low)

    def quote(self) -> str | None:
        m = QUOTE.search(self.text)
        return self.quotes[ord(m.group(1)) - 0xE100] if m else None


QUOTE = re.compile("\ue000([\ue100-\ue1ff])")  # a quoted text, kept aside while the words are read


def quote_mark(i: int) -> str:
    return "\ue000" + chr(0xE100 + i)


Result = Op | list[Op] | Question | Note | None
Builder = Callable[[Clause, re.Match[str]], Result]


@dataclass(frozen=True)
class Edit:
    name: str
    words: re.Pattern[str]
    build: Builder
    example_en: str  # offered when a request comes close
    example_zh: str
    near: tuple[str, ...] = ()  # words that come close to this edit (for "did you mean")
    fuzzy: tuple[str, ...] = field(default=())  # English words whose typos still count
    alone: bool = False  # only when nothing else in the instruction was understood ("a bit more")


def w(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _r(v: float) -> float:
    return round(float(v), 3)


def _clamp(v: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, v))


def _amount(c: Clause, base: float) -> float:
    """A step scaled by "a bit" (half) or "a lot" (double)."""
    if re.search(
        r"\b(?:a (?:little )?bit|slightly|a little|a tad|little)\b|一点|一些|稍微|微微|有点|一丢丢|略", c.low
    ):
        return base / 2
    if re.search(r"\b(?:a lot|much|way|lots|really|super|very)\b|很多|多一些|非常|大幅|特别|超级", c.low):
        return base * 2
    return base


