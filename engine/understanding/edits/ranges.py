"""Time ranges (keep, cut, trim to a length) and the edits that read the footage's analysis (highlights, pauses)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from .. import slots
from ..ops import Op
from .base import Clause, Question, Result, _clamp, _r, w
from .picture import ASPECT_WORDS
from .recipes import PLATFORM_WORDS

# -- time ranges ------------------------------------------------------------------------------------------
_CUT = w(
    r"\bcut(?:ting)? (?:out|off|away)\b|\bcut\b|\bremove\b|\bdelete\b|\bdrop\b|\bget rid of\b|\btrim off\b|\bchop(?: off)?\b|"
    r"\bskip\b|\blose\b|\btake (?:out|off|away)\b|\bditch\b|\bsnip\b|\bremov|\bdelet|\bdon'?t want\b|\bdon'?t need\b|"
    r"\bwithout\b|\bno\b|剪掉|删掉|去掉|删除|切掉|去除|砍掉|剪去|裁掉|不要|删了|剪了|去了|拿掉|扔掉|跳过"
)
_KEEP = w(
    r"\bkeep\b|\bonly\b|\bjust\b|\bsave\b|\bextract\b|\buse\b|\bgive me\b|\bi want\b|\bi need\b|给我|就要|只需要|保留|只要|只留|留下|留着|截取|截出|剪出|要前|要后|取前|取后|只保留"
)
_TO = w(
    r"(?:\b(?:cut|trim|shorten|chop|edit|crop|clip|reduce|bring|get|take|squeeze)\b\s*(?:it|this|the video|the clip|that|vid)?"
    r"\s*(?:down|back)?\s*(?:to|into|at)\b|\bdown to\b)\s*(?:just\s*|only\s*)?(?:the\s*)?(?:first|opening|last|final)?"
    r"\s*(?:like|about|around|roughly|approx(?:imately)?|~)?\s*$"
    r"|(?:剪到|剪成|缩短到|缩短为|缩到|裁到|裁成|截到|截成|压到|控制在|变成|改成|弄成|做成|剪为)\s*(?:前|最后|后|只剩)?\s*$"
)
_TARGET = w(
    r"\bmake (?:it|this|the video|the clip|that|the vid)\b|\b(?:it|video|clip) should be\b|\bi want it\b|\bshorten\b|\bversion\b|"
    r"\bcap (?:it )?at\b|\bunder\b|\bmax(?:imum)?\b|\bno (?:longer|more) than\b|\bat most\b|\blong\b|\blength\b|"
    r"\bduration\b|剪成|剪到|缩短|控制在|以内|之内|时长|长度|改成|变成|做成|弄成|剪为|最多|不超过"
)
_FIRST = w(r"\bfirst\b|\bopening\b|\bbeginning\b|\bstart\b|\bintro\b|\bbegin\b|前面?\s*$|开头|头")
_LAST = w(r"\blast\b|\bfinal\b|\bending\b|\bend\b|\boutro\b|最后|末尾|结尾|后面?\s*$|最后面|尾")
_FROM_END = w(
    r"^\s*(?:off|from|at|of)\s+(?:the\s+)?(?:very\s+)?(?:end|ending|back|tail|outro)\b|^\s*(?:in\s+)?the end"
)
_FROM_START = w(
    r"^\s*(?:off|from|at|of|in)\s+(?:the\s+)?(?:very\s+)?(?:start|beginning|begining|front|intro|top|opening)\b"
)
_ONWARDS = w(
    r"^\s*(?:on|onwards|onward|and after|and later|to the end|till the end|until the end)\b|^\s*(?:之后|以后|往后|后面|后的|后|开始|起)"
)
_BEFORE = w(r"^\s*(?:之前|以前|前面|前的)")
_AFTER_WORD = w(
    r"\b(?:after|past|beyond|from|starting at|starting from|start (?:it |the video )?(?:at|from)|begin (?:it )?(?:at|from))"
    r"\s*(?:the\s*)?$|从\s*(?:第\s*)?$"
)
_BEFORE_WORD = w(
    r"\b(?:before|until|till|up to|up until)\s*(?:the\s*)?$"
    r"|\b(?:end|stop|finish|cut off|cut it off|ends?)\s*(?:it|the video|the clip|this)?\s*(?:at|by|after)\s*(?:the\s*)?$"
)
_RANGE_SEP = w(
    r"\s*(?:mark\s*)?(?:-|–|—|~|to|until|till|through|thru|and|到|至|－|-->)\s*(?:the\s*)?(?:第\s*)?"
)


def _ask_keep_or_cut(a: float, b: float, first: bool) -> Question:
    s = f"{slots_fmt(b - a)}"
    if first:
        return Question(
            f"Keep the first {s} s, or cut the first {s} s?",
            f"保留前{s}秒，还是剪掉前{s}秒？",
            (f"keep the first {s} seconds", f"cut the first {s} seconds"),
            (f"保留前{s}秒", f"剪掉前{s}秒"),
        )
    return Question(
        f"Keep {slots_fmt(a)}-{slots_fmt(b)} s, or cut it out?",
        f"保留{slots_fmt(a)}-{slots_fmt(b)}秒，还是剪掉这段？",
        (f"keep {slots_fmt(a)} to {slots_fmt(b)} seconds", f"cut {slots_fmt(a)} to {slots_fmt(b)} seconds"),
        (f"保留{slots_fmt(a)}到{slots_fmt(b)}秒", f"剪掉{slots_fmt(a)}到{slots_fmt(b)}秒"),
    )


def slots_fmt(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


_VERB_END = w(r"(?:" + _CUT.pattern + "|" + _KEEP.pattern + r")\s*$")


def _range(c: Clause, ts: list[slots.Time]) -> tuple[float, float] | None:
    low = c.low
    for a, b in itertools.pairwise(ts):
        between = low[a.end : b.start]
        verb_before = bool(_VERB_END.search(low[: a.start]))
        if (
            _RANGE_SEP.fullmatch(between)
            and (a.explicit or b.explicit or verb_before)
            and b.seconds > a.seconds
        ):
            if between.strip() == "and" and not re.search(r"\bbetween\s*$", low[: a.start]):
                continue
            return a.seconds, b.seconds
        if (
            re.search(r"\bfrom\s*$|从\s*$|\bbetween\s*$", low[: a.start])
            and b.seconds > a.seconds
            and len(between) < 12
        ):
            return a.seconds, b.seconds
    return None


def _verb(c: Clause, upto: int) -> str | None:
    """ "cut" or "keep": the verb nearest before ``upto`` (or anywhere, e.g. "前5秒不要")."""
    before = c.low[:upto]
    cut = [m for m in _CUT.finditer(before)]
    keep = [m for m in _KEEP.finditer(before)]
    if cut or keep:
        lc = cut[-1].start() if cut else -1
        lk = keep[-1].start() if keep else -1
        return "cut" if lc > lk else "keep"
    after = c.low[upto:]
    if _CUT.search(after):
        return "cut"
    if _KEEP.search(after):
        return "keep"
    return None


def _trim_parts(c: Clause, m: re.Match[str], ts: list[slots.Time]) -> list[Op] | None:
    """ "cut the first 1.5s and the last 2s": each part read on its own, the verb shared."""
    explicit = [t for t in ts if t.explicit]
    if len(explicit) < 2 or _range(c, ts) is not None:
        return None
    cuts = [0]
    for a, b in itertools.pairwise(explicit):
        joint = re.search(r"\band\b|和|以及|还有|跟", c.low[a.end : b.start])
        if joint is None:
            return None
        cuts.append(a.end + joint.start())
    if _verb(c, explicit[0].start) != "cut":
        return None  # two "keep"s would keep only their overlap
    ops: list[Op] = []
    for i, j in itertools.pairwise([*cuts, len(c.low)]):
        part = replace(c, text="cut " + c.text[i:j], low="cut " + c.low[i:j])
        r = _trim(part, m)
        if not isinstance(r, Op):
            return None
        ops.append(r)
    return ops


def _trim(c: Clause, m: re.Match[str]) -> Result:
    if c.used_time:
        return None
    total = c.total
    ts = c.times()
    parts = _trim_parts(c, m, ts)
    if parts:
        return parts
    ends = [t for t in ts if t.explicit]
    if (
        ends
        and total
        and re.search(
            r"掐头去尾|头尾|首尾|两头|开头和结尾|开头结尾|\bboth ends\b|\beach end\b|\b(?:start|beginning) and (?:the )?end\b",
            c.low,
        )
    ):
        secs = ends[0].seconds  # "掐头去尾各2秒", "2 s off both ends": two cuts, the end's first
        return [
            Op("cut_range", {"start": _r(max(0.0, total - secs)), "end": _r(total)}),
            Op("cut_range", {"start": 0.0, "end": _r(secs)}),
        ]
    frac = slots.fraction(c.low)
    rng = _range(c, ts)
    if rng is not None:
        a, b = rng
        first_t = next(t for t in ts if t.seconds == a)
        if _TO.search(c.low[: first_t.start]) and not re.search(r"\bfrom\b|从", c.low[: first_t.start]):
            return Op(
                "keep_range", {"start": 0.0, "end": _r(b)}
            )  # "cut it down to like 7-8 seconds": a length
        verb = _verb(c, first_t.start)
        if verb is None and not re.search(r"\bfrom\b|\bbetween\b|从|\bonly\b", c.low):
            return _ask_keep_or_cut(a, b, False)
        return Op("cut_range" if verb == "cut" else "keep_range", {"start": _r(a), "end": _r(b)})
    if frac is not None and not ts:
        part = total * frac.part
        verb = _verb(c, frac.start) or "keep"
        if not total:
            return None
        side = frac.side or ("first" if verb == "keep" else None)
        if side is None:
            return Question(
                "Cut the first half or the second half?",
                "剪掉前一半还是后一半？",
                ("cut the first half", "cut the second half"),
                ("剪掉前一半", "剪掉后一半"),
            )
        a, b = (0.0, part) if side == "first" else (total - part, total)
        return Op("cut_range" if verb == "cut" else "keep_range", {"start": _r(a), "end": _r(b)})
    explicit = [t for t in ts if t.explicit]
    if not explicit:
        # "5" alone after a clear verb: "trim to 5", "剪到5"
        bare = [t for t in ts if not t.explicit]
        if bare and _TO.search(c.low[: bare[0].start]) and bare[0].seconds <= max(total, 3600):
            return Op("keep_range", {"start": 0.0, "end": _r(bare[0].seconds)})
        if bare:
            return None
        return _ask_how_much(c)
    t = explicit[0]
    before = c.low[max(0, t.start - 24) : t.start]
    after = c.low[t.end : t.end + 30]
    secs = t.seconds
    shorter = re.search(r"^\s*(?:shorter|less)\b|^\s*(?:短|少)", after) or re.search(
        r"\b(?:shorter|shorten(?: it)?|trim(?: it)?|cut(?: it)?|reduce(?: it)?) by\s*$|缩短\s*$|减少\s*$"
        r"|\b(?:shorten|trim|cut|chop|reduce)\s+(?:the\s+)?(?:end|ending|outro|back)\s+by\s*$",
        before,
    )
    if shorter:
        return Op("cut_range", {"start": _r(max(0.0, total - secs)), "end": _r(total)}) if total else None
    if _AFTER_WORD.search(before) or _ONWARDS.search(after):
        verb = _verb(c, t.start) or "keep"
        if re.search(r"\bfrom\s*$|从\s*$", before) and not (_ONWARDS.search(after) or verb == "keep"):
            pass
        elif total > secs:
            return Op("cut_range" if verb == "cut" else "keep_range", {"start": _r(secs), "end": _r(total)})
    if _BEFORE_WORD.search(before) or _BEFORE.search(after):
        verb = _verb(c, t.start) or "keep"
        return Op("cut_range" if verb == "cut" else "keep_range", {"start": 0.0, "end": _r(secs)})
    last = _LAST.search(before) or _FROM_END.search(after)
    first = _FIRST.search(before) or _FROM_START.search(after)
    to = _TO.search(before)
    verb = _verb(c, t.start)
    if re.match(r"\s*off\b", after):
        verb = "cut"
    if last and not (first and first.start() > last.start()):
        if not total:
            return None
        a, b = max(0.0, total - secs), total
        if to:
            return Op("keep_range", {"start": _r(a), "end": _r(b)})
        if verb is None:
            return (
                Op("keep_range", {"start": _r(a), "end": _r(b)})
                if re.search(r"\bjust\b|\bonly\b", c.low)
                else (
                    Question(
                        f"Keep the last {slots_fmt(secs)} s, or cut them?",
                        f"保留最后{slots_fmt(secs)}秒，还是剪掉？",
                        (
                            f"keep the last {slots_fmt(secs)} seconds",
                            f"cut the last {slots_fmt(secs)} seconds",
                        ),
                        (f"保留最后{slots_fmt(secs)}秒", f"剪掉最后{slots_fmt(secs)}秒"),
                    )
                )
            )
        return Op("cut_range" if verb == "cut" else "keep_range", {"start": _r(a), "end": _r(b)})
    if first:
        if to:
            return Op("keep_range", {"start": 0.0, "end": _r(secs)})
        if verb is None:
            if re.search(r"\btrim\b", c.low):
                return Op("cut_range", {"start": 0.0, "end": _r(secs)})
            return _ask_keep_or_cut(0.0, secs, True)
        return Op("cut_range" if verb == "cut" else "keep_range", {"start": 0.0, "end": _r(secs)})
    # a length: "make it 5s", "trim to 10 seconds", "10 seconds long", "剪成15秒"
    if (
        to
        or _TARGET.search(c.low)
        or re.search(r"^\s*(?:long|max|or less|or shorter|tops|长|以内|之内)", after)
    ):
        if verb == "cut" and not to and not re.search(r"\blong\b|\bshorter\b|以内|之内", c.low):
            return _ask_where(secs)
        return Op("keep_range", {"start": 0.0, "end": _r(secs)})
    if verb == "cut":
        return _ask_where(secs)
    if verb == "keep":
        return Op("keep_range", {"start": 0.0, "end": _r(secs)})
    if re.search(r"剪\s*$|\btrim\s*$|\bcut\s*$", before.strip() + " ") or re.search(
        r"\b(?:trim|cut)\b|剪", c.low
    ):
        return _ask_keep_or_cut(0.0, secs, True)
    if total > secs and (PLATFORM_WORDS.search(c.whole) or ASPECT_WORDS.search(c.whole)):
        return Op("keep_range", {"start": 0.0, "end": _r(secs)})  # "tiktok, 15 seconds": its length
    rest = c.low[: t.start] + c.low[t.end :]
    if total > secs and _BARE_LENGTH.fullmatch(rest):  # "15 seconds" on its own
        return Op("keep_range", {"start": 0.0, "end": _r(secs)}) if _JUST.search(rest) else _ask_length(secs)
    return None


_JUST = w(r"\bjust\b|\bonly\b|就|只要|只留")
_BARE_LENGTH = w(r"(?:[\W\s]|\b(?:make it|just|only|about|around|like|maybe|say|now|long|please|total)\b|只要|只留|就好|就行|就可以|就|左右|吧)*")


def _ask_length(secs: float) -> Question:
    s = slots_fmt(secs)
    return Question(
        f"Keep the first {s} s, or make a {s}-second highlight reel?",
        f"保留前{s}秒，还是做一个{s}秒的精彩集锦？",
        (f"keep the first {s} seconds", f"make a {s}-second highlight reel"),
        (f"保留前{s}秒", f"做一个{s}秒的精彩集锦"),
    )


def _ask_how_much(c: Clause) -> Question | None:
    """ "make it shorter", "remove the intro": the edit is clear, its length is not."""
    half = slots_fmt(max(1.0, round(c.total / 2))) if c.total else "10"
    if re.search(r"\bshorter\b|\bshorten\b|\btoo long\b|太长|短一点|短一些|缩短|剪短", c.low):
        return Question(
            "How long should it be?",
            "要剪成多长？",
            (f"make it {half} seconds", "cut the pauses"),
            (f"剪成{half}秒", "去掉停顿"),
        )
    if _verb(c, len(c.low)) != "cut":
        return None
    if re.search(r"\bintro\b|\bopening\b|\bbeginning\b|\bstart\b|\bfirst (?:bit|part)\b|开头|片头", c.low):
        return Question(
            "How much of the start should go?",
            "开头剪掉多少？",
            ("cut the first 3 seconds", "cut the first 5 seconds"),
            ("剪掉前3秒", "剪掉前5秒"),
        )
    if re.search(r"\boutro\b|\bending\b|\bend\b|\blast (?:bit|part)\b|结尾|片尾", c.low):
        return Question(
            "How much of the end should go?",
            "结尾剪掉多少？",
            ("cut the last 3 seconds", "cut the last 5 seconds"),
            ("剪掉最后3秒", "剪掉最后5秒"),
        )
    return None


def _ask_where(secs: float) -> Question:
    s = slots_fmt(secs)
    return Question(
        f"Cut {s} s from the start or from the end?",
        f"从开头剪掉{s}秒，还是从结尾剪掉？",
        (f"cut the first {s} seconds", f"cut the last {s} seconds"),
        (f"剪掉前{s}秒", f"剪掉最后{s}秒"),
    )


# -- analysis edits ------------------------------------------------------------------------------------------
def _duration(c: Clause) -> float | None:
    ts = [t for t in c.times() if t.explicit]
    if not ts:
        return None
    c.used_time = True
    return ts[0].seconds


def _highlights(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    secs = _duration(c)
    c.used_time = True
    return Op("highlights", {"seconds": _r(_clamp(secs or 30.0, 3.0, 1800.0))})


def _example(c: Clause, m: re.Match[str]) -> Result:
    secs = _duration(c)
    c.used_time = True
    return Op("example_clip", {"seconds": _r(_clamp(secs or 15.0, 3.0, 120.0))})


def _pauses(c: Clause, m: re.Match[str]) -> Result:
    secs = _duration(c)
    c.used_time = True
    c.claim(m.start(), m.end())
    return Op("cut_pauses", {"min_silence": _r(_clamp(secs, 0.2, 10.0))} if secs else {})


