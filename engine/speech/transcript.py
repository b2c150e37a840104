"""What speech becomes: timed words, and whether they are good enough to burn into a video."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Word:
    """One word (for Chinese: one character or a run of Latin letters) and where it is spoken."""

    text: str
    start: float  # seconds in the audio file
    end: float
    confidence: float  # 0..1; 1.0 where the words were given (aligned), the recognizer's own otherwise


@dataclass(frozen=True)
class Transcript:
    words: tuple[Word, ...]
    language: str  # "en" | "zh" | ...
    backend: str  # "pocketsphinx" | "faster-whisper" | "regions"
    trustworthy: bool  # False: too unsure to burn into a video; the caller says so and offers typed captions

    @property
    def text(self) -> str:
        joiner = "" if self.language == "zh" else " "
        return joiner.join(w.text for w in self.words)


_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_ZH_TOKEN = re.compile(rf"[“‘（(《「『]*[{_CJK}][，。！？、；：,.!?;:”’）)》」』…]*|[^\s{_CJK}]+")


def is_cjk(text: str) -> bool:
    return re.search(f"[{_CJK}]", text) is not None


def split_words(text: str, language: str) -> list[str]:
    """The caption tokens of a text as written: words for English; characters (with the punctuation that
    follows them) and runs of Latin letters for Chinese."""
    if language == "zh" or is_cjk(text):
        return _ZH_TOKEN.findall(text)
    return text.split()
