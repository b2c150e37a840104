"""Time and motion: speed, reverse, loop, fades, transitions, joining clips."""

from __future__ import annotations

import re

from .. import slots
from ..ops import Op
from .base import Clause, Result, _clamp, _r, w
from .ranges import _duration, _range

# -- time and motion ----------------------------------------------------------------------------------------------
# "the first 2 seconds", "the last 4 s", "前2秒", "最后4秒": a part at one end of the video
_EDGE = w(
    r"\b(?P<en>first|opening|last|final)\s+(?P<n>\d{1,3}(?:\.\d{1,3})?)\s*(?:s|secs?|seconds?)\b"
    r"|(?P<zh>最后|末尾|结尾|前|头|后)\s*(?P<zn>\d{1,3}(?:\.\d{1,3})?)\s*秒"
)


def _edge(c: Clause) -> tuple[float, float] | None:
    """The part of the video at one end a speed is meant for ("slow-mo the first 2 seconds"), claimed."""
    m = _EDGE.search(c.low)
    if not m or c.total <= 0:
        return None
    n = min(float(m.group("n") or m.group("zn")), c.total)
    if n >= c.total:
        return None  # the whole video: a plain speed
    c.claim(m.start(), m.end())
    c.used_time = True
    first = (m.group("en") or m.group("zh")).lower() in ("first", "opening", "前", "头")
    return (0.0, n) if first else (c.total - n, c.total)

_BARE_RANGE = w(r"(?<![\d.:x×])(\d{1,4}(?:\.\d)?)\s*(?:to|-|–|~|到|至)\s*(\d{1,4}(?:\.\d)?)(?![\d.:%x×])")


def _speed(c: Clause, m: re.Match[str]) -> Result:
    ts = c.times()
    rng = _range(c, ts)
    if rng is not None:  # "slow-mo 2-4 s", "2到4秒慢放": the speed of that part only
        a, b = rng
        first = next(t for t in ts if t.seconds == a)
        last = next(t for t in ts if t.seconds == b and t.start > first.start)
        c.claim(first.start, last.end)
        c.claim_all(w(r"\b(?:from|between|during)\b|从|在"))
        c.used_time = True
        said = slots.factor(c.low) or slots.percent(c.low) or re.search(r"\d", c.low)
        whole = _speed(c, m)
        if not isinstance(whole, Op):
            return whole
        factor = float(whole.args["factor"])
        if not said:  # "2到4秒慢放": slow motion is half speed, a fast part twice the speed
            factor = 0.5 if factor < 1 else 2.0 if factor > 1 else factor
        return Op("speed_range", {"start": _r(a), "end": _r(b), "factor": factor})
    bare = _BARE_RANGE.search(c.low) if rng is None else None
    if bare and c.total and float(bare.group(1)) < float(bare.group(2)) <= c.total + 0.05:
        c.claim(bare.start(), bare.end())  # "slow motion 3 to 5": seconds of this video, said without the unit
        c.used_time = True
        whole = _speed(c, m)
        if not isinstance(whole, Op):
            return whole
        factor = float(whole.args["factor"])
        if not (slots.factor(c.low) or slots.percent(c.low)):
            factor = 0.5 if factor < 1 else 2.0 if factor > 1 else factor
        return Op("speed_range", {"start": _r(float(bare.group(1))), "end": _r(float(bare.group(2))),
                                  "factor": factor})
    if rng is None and (edge := _edge(c)) is not None:  # "slow-mo the first 2 seconds", "最后4秒两倍速"
        said = slots.factor(c.low) or slots.percent(c.low)
        whole = _speed(c, m)
        if not isinstance(whole, Op):
            return whole
        factor = float(whole.args["factor"])
        if not said:
            factor = 0.5 if factor < 1 else 2.0 if factor > 1 else factor
        return Op("speed_range", {"start": _r(edge[0]), "end": _r(edge[1]), "factor": factor})
    low = c.low
    slow = bool(re.search(r"\bslow|慢|减速|降低|减少|下降|调低", low))
    if half := re.search(r"半速|\bhalf[- ]speed\b|\bhalf the speed\b", low):
        c.claim(half.start(), half.end())
        return Op("speed", {"factor": 0.5})
    double = re.search(r"(快|慢)\s*1\s*倍", low)  # "快一倍": twice as fast, "慢一倍": half
    if double:
        return Op("speed", {"factor": 0.5 if double.group(1) == "慢" else 2.0})
    f = slots.factor(low)
    if f is not None:
        v, a, b = f
        c.claim(a, b)
        if re.search(r"\bhalf\b|一半|减半", low[a:b]):
            return Op("speed", {"factor": 0.5})
        if (slow and v > 1) or re.search(r"\b(?:slower|slow) by\b", low):
            v = 1 / v
        return Op("speed", {"factor": _r(_clamp(v, 0.25, 4.0))})
    if p := slots.percent(low):
        c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
        if re.search(r"\bby\s*\d", low) or (
            re.search(r"faster|slower|quicker|加快|提速|减慢|放慢|快|慢|提高|提升|增加|降低|减少|下降|调低", low)
            and not re.search(r"\bto\s*\d|(?:到|为|成)\s*\d", low)
        ):
            # "speed it up by 25%", "50% faster", "加快50%": a step from the current speed
            p = c.speed * (1 - p if slow else 1 + p)
        return Op("speed", {"factor": _r(_clamp(p, 0.25, 4.0))})
    times = re.search(
        r"(\d{1,2}(?:\.\d{1,3})?)\s*(?:times|x)\s*(?:faster|quicker|as fast|slower|as slow)", low
    )
    if times:
        v = float(times.group(1))
        return Op("speed", {"factor": _r(_clamp(1 / v if slow else v, 0.25, 4.0))}) if v > 0 else None
    if re.search(r"\bslow[- ]?mo(?:tion)?\b|慢动作|慢镜头", low):
        return Op("speed", {"factor": 0.5})
    if re.search(r"\btime-?lapse\b|延时", low):
        return Op("speed", {"factor": 4.0})
    if re.search(r"\bnormal speed\b|\breal ?time\b|\boriginal speed\b|正常速度|原速|恢复速度", low):
        return Op("speed", {"factor": 1.0})
    n = re.search(r"(?:speed|速度)\D{0,12}?(\d{1,2}(?:\.\d{1,3})?)(?![\d.%])", low)
    if n and float(n.group(1)) > 0:
        return Op("speed", {"factor": _r(_clamp(float(n.group(1)), 0.25, 4.0))})
    bit = bool(re.search(r"\b(?:a (?:little )?bit|slightly|a little|a tad)\b|一点|一些|稍微|有点|点", low))
    lot = bool(re.search(r"\b(?:a lot|lots|way|much|really|super)\b|很多|非常|超级|大幅", low))
    if slow:
        return Op(
            "speed", {"factor": _r(_clamp(c.speed * (0.8 if bit else 0.5 if lot else 0.75), 0.25, 4.0))}
        )
    if re.search(r"\bfast|\bspeed|\bquick|\bup\b|快|加速", low):
        return Op(
            "speed", {"factor": _r(_clamp(c.speed * (1.25 if bit else 2.0 if lot else 1.5), 0.25, 4.0))}
        )
    n = re.search(r"(\d{1,2}(?:\.\d{1,3})?)", low)
    if n:
        return Op("speed", {"factor": _r(_clamp(float(n.group(1)), 0.25, 4.0))})
    return None


def _boomerang(c: Clause, m: re.Match[str]) -> Result:
    c.claim_all(m.re)
    return Op("boomerang")


def _reverse(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    return Op("reverse")


def _loop(c: Clause, m: re.Match[str]) -> Result:
    n = slots.count(c.low)
    c.claim_all(w(r"\d{1,3}\s?(?:times|x|×|次|遍|回)|\bx\s?\d{1,3}"))
    return Op("loop", {"times": max(2, min(n or 2, 50))})


def _fades(c: Clause, m: re.Match[str]) -> Result:
    low = c.low
    fin = bool(re.search(r"fade[- ]?in|淡入|渐显|from black|黑场开始|开头.{0,4}黑", low))
    fout = bool(re.search(r"fade[- ]?out|淡出|渐隐|to black|\bin and out\b|黑场结束|结尾.{0,4}黑", low))
    if not fin and not fout:
        fin = bool(re.search(r"\bstart\b|\bbeginning\b|\bopening\b|开头|片头", low))
        fout = bool(re.search(r"\bend\b|\bending\b|结尾|片尾", low))
    if not fin and not fout:
        fin = fout = True
    secs = _duration(c) or 1.0
    c.used_time = True
    s = _r(_clamp(secs, 0.1, 10.0))
    return Op("fades", {"fade_in": s if fin else None, "fade_out": s if fout else None})


def _transitions(c: Clause, m: re.Match[str]) -> Result:
    word = m.group(0).lower()
    kind = "fade"
    if "dissolve" in word or "溶解" in word or "叠化" in word:
        kind = "dissolve"
    elif "wipe" in word or "擦除" in word:
        kind = "wipeleft"
    elif "slide" in word or "滑动" in word:
        kind = "slideleft"
    secs = _duration(c)
    c.used_time = True
    return Op("transitions", {"kind": kind, "duration": _r(_clamp(secs or 0.5, 0.1, 3.0))})


def _join(c: Clause, m: re.Match[str]) -> Result:
    return Op("join")


