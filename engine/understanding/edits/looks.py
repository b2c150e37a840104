"""Composed looks: a named style made of existing edits (a grade, black bars, fades), declared once each.

A film look is the film grade, cinema letterbox bars (2.39:1) and soft fades; adding a look is one ``Look``:
its words in English and Chinese and the operations it expands to. Single-filter looks (black and white,
sepia, vintage, warm, cool, vivid) are ``picture.LOOKS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ops import Op
from .base import Clause, Result, w
from .picture import BARS_WORDS, LOOKS


@dataclass(frozen=True)
class Look:
    name: str
    words: str  # a pattern in English and Chinese
    ops: tuple[Op, ...]


def _fades(secs: float) -> Op:
    return Op("fades", {"fade_in": secs, "fade_out": secs})


COMPOSED: tuple[Look, ...] = (
    Look(
        "film",
        r"\bfilm(?:ic)? ?(?:look|style|feel|grade|vibe|aesthetic|effect)\b|\bcinematic\b|\bcinema (?:look|style)\b"
        r"|\bmovie (?:look|style|feel|vibe)\b|\blike a (?:movie|film)\b|\b(?:movie|film)-?like\b|\bhollywood\b"
        r"|电影感|电影质感|(?<!老)电影(?:的|一样的|般的?)(?:感觉|味道|氛围)|像(?:电影|大片)一样|电影风|电影效果|电影色调|胶片感|大片感|大片风|大片效果",
        (Op("look", {"name": "film"}), Op("bars", {"ratio": 2.39}), _fades(0.5)),
    ),
    Look(
        "dreamy",
        r"\bdream(?:y|like)\b|\bsoft glow\b|\bethereal\b|\bhazy\b|梦幻|朦胧|柔光",
        (Op("look", {"name": "dreamy"}), _fades(1.0)),
    ),
    Look(
        "moody",
        r"\bmoody\b|\bgloomy\b|\bbroody\b|\bmelanchol(?:y|ic)\b|\bdark (?:and )?(?:moody|atmospheric) (?:look|feel|vibe)?|暗调|阴郁|忧郁|情绪感|压抑",
        (Op("look", {"name": "moody"}), _fades(0.5)),
    ),
    Look(
        "old_movie",
        r"\bold[- ](?:movie|film)\b|\bsilent (?:movie|film)\b|老电影|默片",
        (Op("look", {"name": "vintage"}), Op("bars", {"ratio": 1.333}), _fades(0.5)),
    ),
)
COMPOSED_WORDS = w("|".join(look.words for look in COMPOSED))
_PLAIN = w("|".join(p for name, p in LOOKS if name not in ("none", "vintage")))
_VINTAGE = w(r"\bvintage\b|\bretro\b|复古")
# "epic cinematic music", "dreamy music", "忧郁的音乐": the words say what the music is like, not the picture
_OF_MUSIC = w(r"^\W{0,3}(?:\w+\W{1,3}){0,2}(?:music|bgm|soundtrack|song|track|tune)s?\b|^.{0,4}(?:背景音乐|配乐|音乐|歌)")


def _composed(c: Clause, m: re.Match[str]) -> Result:
    look = next(k for k in COMPOSED if re.search(k.words, m.group(0), re.IGNORECASE))
    if _OF_MUSIC.search(c.low[m.end() :]):
        return None
    rest = c.low[: m.start()] + " " * (m.end() - m.start()) + c.low[m.end() :]
    if _PLAIN.search(rest) or (look.name == "film" and _VINTAGE.search(rest)):
        return None  # "cinematic black and white", "retro film vibe": the named look
    c.claim(m.start(), m.end())
    c.claim_all(BARS_WORDS)
    return list(look.ops)
