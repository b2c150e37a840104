"""Known words (typed or pasted captions) timed to the speech of a media file."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from . import sphinx
from .audio import BYTES_PER_SECOND, pcm16k
from .regions import regions_from_pcm
from .spread import spread
from .transcript import Transcript, Word, is_cjk, split_words

log = logging.getLogger(__name__)

# an alignment whose words lie mostly outside the detected speech went astray (noise, wrong text)
MIN_WORDS_IN_SPEECH = 0.6


def _inside(words: list[Word], regions: list[tuple[float, float]]) -> float:
    """The share of the words' time that lies inside speech regions."""
    spoken = sum(w.end - w.start for w in words)
    if spoken <= 0:
        return 0.0
    covered = sum(max(0.0, min(w.end, e) - max(w.start, s)) for w in words for s, e in regions)
    return covered / spoken


def _align_blocking(pcm: bytes, text: str, language: str) -> Transcript:
    tokens = split_words(text, language)
    regions = regions_from_pcm(pcm)
    if language == "en" and not is_cjk(text) and sphinx.available():
        try:
            spans = sphinx.align(pcm, tokens)
        except Exception:  # a recognizer failure must never cost the user the captions
            log.exception("forced alignment crashed; spreading the words over the speech instead")
            spans = None
        if spans is not None:
            words = [Word(t, s, e, 1.0) for t, (s, e) in zip(tokens, spans, strict=True)]
            share = _inside(words, regions)
            if share >= MIN_WORDS_IN_SPEECH or not regions:
                return Transcript(tuple(words), language, "pocketsphinx", True)
            log.info("forced alignment put %.0f%% of the words outside speech; spreading them", 100 * share)
    words = spread(tokens, regions)
    if not words and tokens:  # no speech found at all: the whole file, and say it is a guess
        seconds = len(pcm) / BYTES_PER_SECOND
        words = spread(tokens, [(0.0, seconds)]) if seconds > 0 else []
        return Transcript(tuple(words), language, "regions", False)
    return Transcript(tuple(words), language, "regions", True)


async def align(audio: Path, text: str, language: str, *, ffmpeg_bin: str | None = None) -> Transcript:
    """``text`` timed to the speech of ``audio``: pocketsphinx forced alignment for English where it works,
    else the words spread over the speech regions (Chinese always: by characters). The words are the text's
    own (English split at spaces, punctuation kept; Chinese one character each); a token nobody says ("—")
    gets a zero-length moment where the word before it ends. Never raises for hard audio; a file with no
    speech at all gives words spread over its length (none without sound), ``trustworthy=False``."""
    pcm = await pcm16k(audio, ffmpeg_bin=ffmpeg_bin)
    return await asyncio.to_thread(_align_blocking, pcm, text, language)
