"""Shared slot parsers: the words people use for times, durations, numbers, percentages, factors and
aspect ratios, in English and Chinese.

``prepare`` turns a clause into digits first (text2num for English number words, cn2an for Chinese
numerals) so every parser below reads digits only. All parsers are pure and never raise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import cn2an  # type: ignore[import-untyped]
from text_to_num import alpha2digit  # type: ignore[import-untyped]

MAX_SECONDS = 24 * 3600.0

# -- number words ----------------------------------------------------------------------------------------
_ORDINAL_BACK = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth"}
_ORDINAL_RE = re.compile(r"\b(1st|2nd|3rd|4th|5th)\b")
_CN_NUM = "零〇一二两三四五六七八九十百千"
# a Chinese numeral directly before a unit (or after 百分之): "五秒", "两倍", "一点五倍", "九十度", "三次"
_CN_RUN = re.compile(
    rf"百分之([{_CN_NUM}]+(?:点[{_CN_NUM}]+)?)|(?<=第)([{_CN_NUM}]+)(?=\s*秒)"
    rf"|(?<![{_CN_NUM}])([{_CN_NUM}]+(?:点[{_CN_NUM}]+)?)(?=\s*(?:秒|s\b|分|倍|度|次|遍|帧|个|小时|p\b|P\b|k\b|K\b|兆|mb|MB|M\b|%))"
)
_EN_WORDS = re.compile(
    r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)\b",
    re.IGNORECASE,
)


def _cn_value(run: str) -> str | None:
    try:
        v = cn2an.cn2an(run.replace("〇", "零"), "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v)


def digits(text: str) -> str:
    """Number words as digits: "ten seconds" -> "10 seconds", "百分之五十" -> "50%", "两倍" -> "2倍"."""
    if _EN_WORDS.search(text):
        try:
            text = alpha2digit(text, "en", threshold=0)
        except (ValueError, IndexError, KeyError):  # pragma: no cover - a library edge case, text stays
            pass
        text = _ORDINAL_RE.sub(lambda m: _ORDINAL_BACK[m.group(1)], text)

    def cn(m: re.Match[str]) -> str:
        run = m.group(1) or m.group(2) or m.group(3)
        v = _cn_value(run)
        if v is None:
            return m.group(0)
        return v + "%" if m.group(1) else v

    if re.search(f"[{_CN_NUM}]", text):
        text = _CN_RUN.sub(cn, text)
    return text


# -- times and durations -----------------------------------------------------------------------------------
_NUM = r"\d{1,7}(?:\.\d{1,3})?"
_UNIT = r"(?:milliseconds?|ms|minutes?|mins?|分钟|分|hours?|hrs?|小时|seconds?|secs?|sec|s|m|h|秒钟|秒)"
_TIME = re.compile(
    rf"(?P<clock>(?<![\d.:])\d{{1,3}}:\d{{2}}(?::\d{{2}})?(?:\.\d{{1,3}})?(?![\d:]))"
    rf"|(?P<half_a>\bhalf an? (?:minute|min|hour)\b)"
    rf"|(?P<a_unit>\b(?:a|an|one) (?P<a_u>minute|min|hour|second|sec)\b(?P<a_half> and a half)?)"
    rf"|(?:(?<=first )|(?<=last )|(?<=final ))(?P<o_u>second|minute)\b"
    rf"|(?P<num>(?<![\d.])(?:{_NUM}|半))(?P<half_pre> and a half| and half)?\s?-?\s?(?P<unit>{_UNIT})(?![a-z])"
    rf"(?P<half> and a half|半)?"
    rf"(?:\s?(?:and\s)?(?P<num2>\d{{1,3}}(?:\.\d{{1,3}})?)(?![\d.:])\s?(?P<unit2>seconds?|secs?|s|秒钟|秒)?(?![a-z]))?"
    rf"|(?P<bare>(?<![\d.:])\d{{1,7}}(?:\.\d{{1,3}})?(?![\d.:%]|\s?(?:x|×|倍|度|°|p\b|fps|帧|次|遍|times)))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Time:
    start: int  # span in the clause
    end: int
    seconds: float
    explicit: bool  # had a unit or was a clock time


def _unit_seconds(unit: str) -> float:
    u = unit.lower()
    if u in ("ms", "millisecond", "milliseconds"):
        return 0.001
    if u.startswith("min") or u in ("m", "分钟", "分"):
        return 60.0
    if u.startswith("h") or u == "小时":
        return 3600.0
    return 1.0


def times(s: str) -> list[Time]:
    """Every time or duration in ``s``: 1:05, 65s, "1 min", "1 min 5 s", "a minute and a half", "一分半"."""
    out: list[Time] = []
    for m in _TIME.finditer(s):
        secs: float
        if m.group("clock"):
            secs = 0.0
            for part in m.group("clock").split(":"):
                secs = secs * 60 + float(part)
            explicit = True
        elif m.group("half_a"):
            secs, explicit = 0.5 * _unit_seconds(m.group("half_a").split()[-1]), True
        elif m.group("o_u"):  # "the first second", "the last minute"
            secs, explicit = _unit_seconds(m.group("o_u")), True
        elif m.group("a_unit"):
            secs = _unit_seconds(m.group("a_u")) * (1.5 if m.group("a_half") else 1.0)
            explicit = True
        elif m.group("unit"):
            n = 0.5 if m.group("num") == "半" else float(m.group("num"))
            unit = _unit_seconds(m.group("unit"))
            secs = n * unit + (0.5 * unit if m.group("half") or m.group("half_pre") else 0.0)
            if m.group("num2") and (m.group("unit2") or unit == 60.0):
                secs += float(m.group("num2"))
            elif m.group("num2"):  # "5s 3": the second number is not part of this time
                out.append(Time(m.start(), m.start("num2") - 1, secs, True))
                continue
            explicit = True
        else:
            secs, explicit = float(m.group("bare")), False
        if math.isfinite(secs) and 0 <= secs <= MAX_SECONDS:
            out.append(Time(m.start(), m.end(), secs, explicit))
    return out


# -- fractions of the video ---------------------------------------------------------------------------------
_FRACTION = re.compile(
    r"\b(?:(?:the )?(?P<which>first|last|second|1st|2nd|final|opening) )?(?P<frac>half|third|quarter)\b"
    r"|(?P<zwhich>前面?|后面?|最后|头|末)\s?(?P<zfrac>一半|半|三分之一|1/3|四分之一|1/4)|(?P<zhalf>一半)"
)


@dataclass(frozen=True)
class Fraction:
    start: int
    end: int
    part: float  # 0.5, 1/3, 0.25
    side: str | None  # "first", "last" or None


def fraction(s: str) -> Fraction | None:
    """ "the first half", "last third", "前一半", "后半" as a share of the video and a side."""
    m = _FRACTION.search(s)
    if not m:
        return None
    word = m.group("frac") or m.group("zfrac") or m.group("zhalf")
    part = {"half": 0.5, "一半": 0.5, "半": 0.5, "third": 1 / 3, "三分之一": 1 / 3, "1/3": 1 / 3}.get(
        word, 0.25
    )
    which = m.group("which") or m.group("zwhich")
    side = None
    if which in ("first", "1st", "opening", "前", "前面", "头"):
        side = "first"
    elif which in ("last", "second", "2nd", "final", "后", "后面", "最后", "末"):
        side = "last"
    return Fraction(m.start(), m.end(), part, side)


# -- percentages, factors, counts, ratios ---------------------------------------------------------------------
_PERCENT = re.compile(r"(?<![\d.])(\d{1,4}(?:\.\d{1,3})?)\s?(?:%|percent\b|per cent\b|pct\b)", re.IGNORECASE)


def percent(s: str) -> float | None:
    """35% -> 0.35 (clamped to 0..4)."""
    m = _PERCENT.search(s)
    if not m:
        return None
    return max(0.0, min(float(m.group(1)) / 100.0, 4.0))


def fraction_number(s: str) -> float | None:
    """A level written as 0.35 (no percent sign)."""
    m = re.search(r"(?<![\d.])(0?\.\d{1,3}|1\.0{1,3})(?![\d.])", s)
    return float(m.group(1)) if m else None


_FACTOR = re.compile(
    r"(?<![\d.])(?P<n>\d{1,3}(?:\.\d{1,3})?)\s?(?:x|×|倍)(?![a-z])|(?<![a-z])(?:x|×)\s?(?P<n2>\d{1,2}(?:\.\d{1,3})?)\b"
    r"|(?P<word>\bdouble\b|\btwice\b|\btriple\b|\bhalf\b|\bquarter\b|一半|减半|加倍|翻倍)",
    re.IGNORECASE,
)
_FACTOR_WORDS = {
    "double": 2.0,
    "twice": 2.0,
    "triple": 3.0,
    "half": 0.5,
    "quarter": 0.25,
    "一半": 0.5,
    "减半": 0.5,
    "加倍": 2.0,
    "翻倍": 2.0,
}


def factor(s: str) -> tuple[float, int, int] | None:
    """ "2x", "x2", "1.5倍", "double", "half" -> (factor, span start, span end)."""
    m = _FACTOR.search(s)
    if not m:
        return None
    if m.group("word"):
        return _FACTOR_WORDS[m.group("word").lower()], m.start(), m.end()
    v = float(m.group("n") or m.group("n2"))
    return (v, m.start(), m.end()) if v > 0 else None


_COUNT = re.compile(r"(?<![\d.])(\d{1,3})\s?(?:times|次|遍|回)|\b(twice|thrice)\b", re.IGNORECASE)
_COUNT_X = re.compile(r"(?<![\d.])(\d{1,3})\s?(?:x\b|×)|\bx\s?(\d{1,3})\b", re.IGNORECASE)


def count(s: str) -> int | None:
    """ "3 times", "twice", "3次", then "x3" or "3x" -> 3."""
    m = _COUNT.search(s)
    if m:
        if m.group(2):
            return 2 if m.group(2).lower() == "twice" else 3
        return int(m.group(1))
    m = _COUNT_X.search(s)
    return int(m.group(1) or m.group(2)) if m else None


_ASPECT = re.compile(r"(?<![\d.])(\d{1,2})\s?[:：/x×比]\s?(\d{1,2})(?![\d.])")
ASPECTS = {
    "9:16": "9:16",
    "1:1": "1:1",
    "16:9": "16:9",
    "4:5": "9:16",
    "3:4": "9:16",
    "4:3": "16:9",
    "2:3": "9:16",
    "21:9": "16:9",
}


def aspect(s: str) -> tuple[str, int, int] | None:
    """ "9:16", "9x16", "9比16", "4:5" -> the nearest supported aspect and its span."""
    for m in _ASPECT.finditer(s):
        a = ASPECTS.get(f"{int(m.group(1))}:{int(m.group(2))}")
        if a:
            return a, m.start(), m.end()
    return None


def number(s: str, before: str) -> float | None:
    """The number right before a word pattern: number(s, "degrees|度") reads "90 degrees"."""
    m = re.search(rf"(?<![\d.])(\d{{1,5}}(?:\.\d{{1,3}})?)\s?(?:{before})", s, re.IGNORECASE)
    return float(m.group(1)) if m else None


def blank(s: str, a: int, b: int) -> str:
    """``s`` with ``s[a:b]`` replaced by spaces (keeps every other position)."""
    return s[:a] + " " * (b - a) + s[b:]
