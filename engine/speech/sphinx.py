"""The offline English recognizer and aligner that the ``pocketsphinx`` wheel ships (US English acoustic
model, CMUdict, a general language model). Everything here is blocking: callers run it in a thread."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from .audio import BYTES_PER_SECOND, SAMPLE_RATE
from .transcript import Word

log = logging.getLogger(__name__)

FRAME_RATE = 100  # pocketsphinx frames per second
OOV = "[SPEECH]"  # the model's filler for speech it has no word for: stands in for unknown words when aligning
_FILLERS = {"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]"}


def available() -> bool:
    try:
        import pocketsphinx  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return False
    return True


# Search limits for recognition: at most this many active HMMs and word exits per 10 ms frame. Measured on
# 10 s of festival speech under heavy pink noise decoded whole: 22 s with the defaults, 2 s with these, the
# same words on clean speech (bench/speech.py prints the word error rates).
SEARCH_LIMITS = {"maxhmmpf": 3000, "maxwpf": 5}


def _decoder(**config: Any) -> Any:
    import pocketsphinx  # type: ignore[import-untyped]

    return pocketsphinx.Decoder(samprate=SAMPLE_RATE, loglevel="FATAL", **config)


# pocketsphinx holds the GIL while it decodes: fed in pieces of this many bytes (0.25 s), a decode in a
# thread lets the event loop run between two pieces instead of stalling for the whole file (measured: at
# most 55 ms of CPU a piece, 80 ms for the end of a 3 s utterance; alignment 4 ms a piece).
PIECE = 8000


def _decode(decoder: Any, pcm: bytes) -> None:
    decoder.start_utt()
    for offset in range(0, len(pcm), PIECE):
        decoder.process_raw(pcm[offset:offset + PIECE], False, False)
    decoder.end_utt()


# Recognition runs one utterance per speech region (as pocketsphinx's own Segmenter does): the second pass
# at the end of an utterance holds the GIL for a time that grows with its length, and silence is not decoded.
PAD = 0.2  # seconds of audio kept either side of a region (the VAD trims quiet word edges)
LONGEST = 20.0  # seconds: a longer region (speech over music never pauses) is decoded in pieces this long


def utterances(regions: list[tuple[float, float]], seconds: float) -> list[tuple[float, float]]:
    """The stretches to decode: regions padded by PAD (never past the neighbours' middle), split at LONGEST."""
    out: list[tuple[float, float]] = []
    for i, (s, e) in enumerate(regions):
        low = (regions[i - 1][1] + s) / 2 if i else 0.0
        high = (e + regions[i + 1][0]) / 2 if i + 1 < len(regions) else seconds
        s, e = max(low, s - PAD), min(high, e + PAD)
        while e - s > LONGEST:
            out.append((s, s + LONGEST))
            s += LONGEST
        out.append((s, e))
    return out


def recognize(pcm: bytes, regions: list[tuple[float, float]]) -> list[Word]:
    """English words heard in the ``regions`` (seconds) of 16 kHz s16le ``pcm``, each with its posterior
    probability as confidence."""
    if not pcm or not regions:
        return []
    decoder = _decoder(**SEARCH_LIMITS)
    words = []
    for start, end in utterances(regions, len(pcm) / BYTES_PER_SECOND):
        first = int(start * FRAME_RATE) * BYTES_PER_SECOND // FRAME_RATE  # whole 10 ms frames
        _decode(decoder, pcm[first:int(end * BYTES_PER_SECOND) // 2 * 2])
        offset = first / BYTES_PER_SECOND
        for seg in decoder.seg():
            if seg.word in _FILLERS:
                continue
            text = re.sub(r"\(\d+\)$", "", seg.word)  # alternative pronunciations: "the(2)"
            words.append(Word(text, round(offset + seg.start_frame / FRAME_RATE, 3),
                              round(offset + (seg.end_frame + 1) / FRAME_RATE, 3),
                              max(0.0, min(1.0, float(seg.prob)))))
    return words


# --- alignment of known words ---------------------------------------------------------------------------

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> list[str]:
    """How an English speaker says a whole number below a billion."""
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    for size, name in ((1_000_000, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            return number_words(n // size) + [name] + (number_words(n % size) if n % size else [])
    raise AssertionError(n)


def spoken_forms(token: str) -> list[str]:
    """The lower-case words a written token is said as (before looking them up): "fox-like," -> fox, like."""
    out: list[str] = []
    for part in re.split(r"[-–—/_]+", token.lower()):
        part = part.strip("\"'.,!?;:()[]{}<>«»“”‘’…*&%$#@~`^|+=")
        part = part.replace("’", "'")
        if not part:
            continue
        if part.isdigit() and len(part) <= 9:
            out += number_words(int(part))
        else:
            out.append(part)
    return out


@dataclass(frozen=True)
class _Plan:
    """The alignment text, and which written token each of its words belongs to."""

    words: list[str]
    owner: list[int]


def _plan(decoder: Any, tokens: list[str]) -> _Plan:
    words: list[str] = []
    owner: list[int] = []
    for i, token in enumerate(tokens):
        if not any(ch.isalnum() for ch in token):
            continue  # "—", "...": not said; placed where the word before it ends
        for w in spoken_forms(token) or [OOV]:
            if w != OOV and decoder.lookup_word(w) is None:
                w = OOV
            if w == OOV and words and words[-1] == OOV and owner[-1] == i:
                continue
            words.append(w)
            owner.append(i)
    return _Plan(words, owner)


def align(pcm: bytes, tokens: list[str]) -> list[tuple[float, float]] | None:
    """Start and end (seconds) of each written token in ``pcm`` by forced alignment; None when the
    aligner finds no path through the audio (or there is nothing to align)."""
    if not pcm or not tokens:
        return None
    decoder = _decoder()
    plan = _plan(decoder, tokens)
    if all(w == OOV for w in plan.words):
        return None
    try:
        decoder.set_align_text(" ".join(plan.words))
        _decode(decoder, pcm)
    except RuntimeError as exc:
        log.info("forced alignment failed: %s", exc)
        return None
    segs = [s for s in decoder.seg() or () if s.word not in ("<s>", "</s>", "<sil>")]
    if len(segs) != len(plan.words):
        log.info("forced alignment found %d of %d words", len(segs), len(plan.words))
        return None
    spans: list[list[float]] = [[-1.0, -1.0] for _ in tokens]
    for seg, i in zip(segs, plan.owner, strict=True):
        start, end = seg.start_frame / FRAME_RATE, (seg.end_frame + 1) / FRAME_RATE
        if spans[i][0] < 0:
            spans[i][0] = start
        spans[i][1] = end
    for i, span in enumerate(spans):  # the unsaid tokens: a moment at the end of the word before
        if span[0] < 0:
            later = next((s[0] for s in spans[i + 1:] if s[0] >= 0), 0.0)
            span[0] = span[1] = spans[i - 1][1] if i else later
    return [(s, e) for s, e in spans]
