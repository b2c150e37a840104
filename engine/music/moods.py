"""The moods a background track can have: one key each, its names in English and Chinese, and the words
people use for it. The planner reads moods from these words; the library tags its tracks with the keys."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mood:
    key: str
    en: str  # the name shown to a user
    zh: str
    words: str  # a regular expression of the words for it (lower-case text)


MOODS: tuple[Mood, ...] = (
    Mood(
        "lofi",
        "lo-fi",
        "低保真",
        r"\blo-?\s?fi\b|\bchill(?:ed|hop|out)?\b|\bstudy\b|\bjazzy\b|低保真|慵懒|chill",
    ),
    Mood(
        "relaxed",
        "relaxed",
        "轻松舒缓",
        r"\brelax(?:ed|ing)?\b|\bcalm(?:ing)?\b|\bpeaceful\b|\bmellow\b|\bsoothing\b|\bgentle\b|\bambient\b"
        r"|\bserene\b|\bdream(?:y|like)\b|\bsoft\b|轻松|舒缓|放松|平静|安静的|柔和|温柔|治愈|梦幻",
    ),
    Mood(
        "upbeat",
        "upbeat",
        "欢快",
        r"\bupbeat\b|\bhappy\b|\bcheerful\b|\benergetic\b|\bfun\b|\bpositive\b|\blively\b|\bpeppy\b"
        r"|\bbouncy\b|欢快|快乐|开心|活泼|动感|轻快|愉快|欢乐",
    ),
    Mood(
        "epic",
        "epic",
        "史诗",
        r"\bepic\b|\bcinematic\b|\bdramatic\b|\bheroic\b|\btrailer\b|\borchestral\b|\bpowerful\b"
        r"|史诗|大气|震撼|电影感|激昂|磅礴",
    ),
    Mood(
        "sad",
        "sad",
        "伤感",
        r"\bsad\b|\bemotional\b|\bmelanchol(?:y|ic)\b|\bsentimental\b|\bnostalgic\b|\btouching\b"
        r"|\bmoody\b|\bgloomy\b|伤感|悲伤|感人|忧伤|忧郁|抒情|难过",
    ),
)
BY_KEY = {m.key: m for m in MOODS}
ANY = "any"  # an operator's track with no sidecar: picked when no mood is asked or none of a mood is left
DEFAULT = "relaxed"  # "add background music" with no mood and nothing uploaded
MOOD_WORDS = re.compile("|".join(f"(?P<{m.key}>{m.words})" for m in MOODS))


def mood_in(text: str) -> tuple[str, int, int] | None:
    """The first mood named in ``text`` (lower-case): its key and where it was said."""
    m = MOOD_WORDS.search(text)
    if m is None or m.lastgroup is None:
        return None
    return m.lastgroup, m.start(), m.end()


def name(key: str, lang: str) -> str:
    mood = BY_KEY.get(key)
    if mood is None:
        return "any" if lang != "zh" else "不限"
    return mood.zh if lang == "zh" else mood.en
