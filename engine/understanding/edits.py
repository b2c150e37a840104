"""The edits the planner understands, each declared once: its words (English and Chinese), the slots it
reads, the operation it builds, and an example phrasing to offer when a request comes close.

To add an edit: write its builder and append one ``Edit`` to ``EDITS``. Builders get a ``Clause`` (the
words of one instruction, numbers already as digits) and return an ``Op``, a ``Question`` (ambiguous: ask
with choices), a ``Note`` (understood but cannot be done as asked) or ``None`` (not this edit after all).
They mark the characters they used (``clause.claim``) so later edits do not read them again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from . import slots
from .ops import Op


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


# -- undo, repeat -----------------------------------------------------------------------------------------
def _undo(c: Clause, m: re.Match[str]) -> Result:
    steps = slots.count(c.low) or (2 if re.search(r"\btwice\b|两步|两次", c.low) else 1)
    if re.search(
        r"\b(?:everything|all(?: of it| the (?:edits|changes))?|start over|from scratch)\b|全部|所有|重新开始|从头",
        c.low,
    ):
        steps = 20
    n = re.search(r"(\d{1,2})\s*(?:steps|edits|changes|步)", c.low)
    if n:
        steps = int(n.group(1))
    return Op("undo", {"steps": max(1, min(steps, 20))})


REPEATABLE = {"adjust", "speed", "zoom", "volume", "rotate", "loop", "music_volume"}


def _more(c: Clause, m: re.Match[str]) -> Result:
    less = bool(
        re.search(
            r"\bless\b|\bfewer\b|\btoo much\b|\bdial it back\b|\btone it down\b|少一点|少点|过了|太多了|回来一点",
            c.low,
        )
    )
    last = next((op for op in reversed(c.last) if op.name in REPEATABLE), None)
    if last is None:
        return Note(
            "More of what? Tell me the edit, e.g. “brighter” or “faster”.",
            "要加强哪个效果？请直接说，例如“再亮一点”或“再快一点”。",
        )
    a = dict(last.args)
    if last.name == "adjust":
        return Op("adjust", {k: _r(-v if less else v) for k, v in a.items()})
    if last.name == "speed":
        up = float(a.get("factor", 1.0)) >= 1.0
        step = 1.25 if up != less else 0.8
        return Op("speed", {"factor": _r(_clamp(c.speed * step, 0.25, 4.0))})
    if last.name == "zoom":
        f = float(a.get("factor", 1.3)) + (-0.1 if less else 0.2)
        return Op("zoom", {**a, "factor": _r(_clamp(f, 1.05, 4.0))})
    if last.name in ("volume", "music_volume"):
        v = float(a.get("volume", 1.0))
        step = 1.25 if (v >= 1.0) != less else 0.8
        cur = c.volume if last.name == "volume" else v
        return Op(last.name, {"volume": _r(_clamp(cur * step, 0.0, 4.0))})
    if less:
        return Note("Say “undo” to take that back.", "说“撤销”即可撤回上一步。")
    return Op(last.name, a)


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
    return None


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


# -- sound ---------------------------------------------------------------------------------------------------
_MUSIC_REMOVE = w(
    r"\b(?:remove|delete|drop|no|without|stop|kill|lose|take out|get rid of)\b.{0,20}\b(?:music|bgm|soundtrack|song)\b|"
    r"(?:去掉|删除|删掉|不要|移除|关掉|取消).{0,6}(?:背景音乐|配乐|音乐|背景乐|bgm)"
)


def _level(c: Clause) -> float | None:
    p = slots.percent(c.low)
    return p if p is not None else slots.fraction_number(c.low)


_MUSIC_WORDS = w(r"\bmusic\b|\bbgm\b|\bsoundtrack\b|\bsong\b|背景音乐|配乐|音乐|背景乐")
_VOLUME_WORDS = w(
    r"\d{1,4}(?:\.\d{1,3})?\s?%|\bvolume\b|音量|\blouder\b|\bquieter\b|\bsofter\b|调大|调小|大一点|小一点|大声|小声"
)


def _music(c: Clause, m: re.Match[str]) -> Result:
    if _MUSIC_REMOVE.search(c.low):
        return Op("remove_music")
    vol = _level(c)
    louder = re.search(r"\blouder\b|\bup\b|大一点|大点|调大|大声", c.low)
    quieter = re.search(r"\bquieter\b|\bsofter\b|\blower\b|\bdown\b|小一点|小点|调小|小声|轻一点", c.low)
    c.claim_all(_VOLUME_WORDS)
    if (
        not c.has_music
        and (louder or quieter)
        and not re.search(r"\badd\b|\bput\b|加|添加|配上|换|\bwith\b", c.low)
    ):
        return Note(
            "There is no background music yet: say “add background music” to add the audio file you uploaded.",
            "还没有背景音乐：说“加背景音乐”即可加入你上传的音频。",
        )
    if c.has_music and not re.search(r"\badd\b|\bput\b|加|添加|配上|换|\bwith\b", c.low):
        if vol is None and (louder or quieter):
            cur = next(
                (
                    float(op.args.get("volume", 0.3))
                    for op in reversed(c.last)
                    if "music" in op.name and "volume" in op.args
                ),
                0.3,
            )
            vol = cur * (1.5 if louder else 0.5)
        if vol is not None:
            return Op("music_volume", {"volume": _r(_clamp(vol, 0.0, 4.0))})
    return Op("add_music", {"volume": _r(vol if vol is not None else 0.3)})


def _mute(c: Clause, m: re.Match[str]) -> Result:
    return Op("mute")


def _unmute(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    return Op("unmute")


def _volume(c: Clause, m: re.Match[str]) -> Result:
    sound = re.search(r"volume|sound|audio|voice|louder|quieter|softer|音量|声音|大声|小声|调大|调小", c.low)
    if not sound and (ADJUST_WORDS.search(c.low) or LOOK_WORDS.search(c.low)):
        return None  # "turn up the saturation": not the sound
    vol = _level(c)
    if (
        vol is not None
        and _MUSIC_WORDS.search(c.whole)
        and not re.search(r"原声|original|clip|video|视频", c.low)
    ):
        c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
        return Op("music_volume", {"volume": _r(_clamp(vol, 0.0, 4.0))})  # "add music, volume 20%"
    down = re.search(r"quieter|softer|\bdown\b|\blower\b|调小|小声|小一点|小点|降低|减小", c.low)
    if vol is not None and re.search(
        r"\bby\s*\d|louder|quieter|softer|调大|调小|大一点|小一点|提高|降低", c.low
    ):
        vol = c.volume * (1 - vol if down else 1 + vol)  # "louder by 20%": a step, not a level
    f = slots.factor(c.low)
    if vol is None and f is not None:
        vol = c.volume * f[0]
        c.claim(f[1], f[2])
    if vol is None and (half := re.search(r"一半|减半|\bhalf\b", c.low)):
        vol = c.volume * 0.5
        c.claim(half.start(), half.end())
    if vol is None:
        up = re.search(r"louder|\bup\b|调大|大声|声音大|增大|提高|大一点|大点|boost|raise|increase", c.low)
        vol = c.volume * (1.5 if up else 0.5)
    c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
    return Op("volume", {"volume": _r(_clamp(vol, 0.0, 4.0))})


def _audio_fade(c: Clause, m: re.Match[str]) -> Result:
    fin = bool(re.search(r"\bin\b|淡入|渐入|渐强", c.low))
    fout = bool(re.search(r"\bout\b|淡出|渐出|渐弱|渐隐", c.low))
    if not fin and not fout:
        fin = fout = True
    secs = _duration(c) or 1.0
    s = _r(_clamp(secs, 0.1, 10.0))
    c.claim(m.start(), m.end())
    c.claim_all(w(r"fade[- ]?(?:in|out)|淡入|淡出"))
    args: dict[str, Any] = {}
    if fin:
        args["in"] = s
    if fout:
        args["out"] = s
    return Op("audio_fade", args)


def _loudnorm(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    return Op("loudnorm")


def _denoise(c: Clause, m: re.Match[str]) -> Result:
    return Op("denoise")


# -- time and motion ----------------------------------------------------------------------------------------------
def _speed(c: Clause, m: re.Match[str]) -> Result:
    low = c.low
    slow = bool(re.search(r"\bslow|慢|减速", low))
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
        if re.search(r"\bby\s*\d", low):  # "speed it up by 25%": a step from the current speed
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


# -- picture ---------------------------------------------------------------------------------------------------
_FIT_BLUR = w(
    r"\bblur|\bpad(?:ded|ding)?\b|\bletterbox|\bfit\b|\bno crop|\bdon'?t crop|\bwithout crop|\bwhole (?:frame|picture|video)|"
    r"模糊|留边|黑边|不裁|不要裁|填充|完整"
)
ASPECT_WORDS = w(
    r"\bvertical\b|\bportrait\b|\btik ?tok\b|\b(?:instagram|ig|insta) reels?\b|\b(?:for|as) (?:an? )?(?:ig |insta |instagram )?reels?\b|\bshorts\b|\bstory\b|\bstories\b|"
    r"竖屏|竖版|竖的|竖向|抖音|快手|小红书|视频号"
    r"|\bsquare\b|正方形|方形|方的|\bfor (?:instagram|insta|ig) (?:feed|post)\b"
    r"|\blandscape\b|\bhorizontal\b|\bwide ?screen\b|\byoutube\b|横屏|横版|宽屏|横向|b站"
)


def _aspect(c: Clause, m: re.Match[str]) -> Result:
    a = slots.aspect(c.low)
    if a is not None:
        aspect, s, e = a
        c.claim(s, e)
    elif re.search(
        r"\bshorts\b|\breels?\b|\bstor(?:y|ies)\b|\btik ?tok\b|\bvertical\b|\bportrait\b|竖|抖音|快手|小红书|视频号",
        c.low,
    ):
        aspect = "9:16"  # before "youtube": YouTube Shorts are vertical
    elif re.search(r"square|方|feed|post", c.low):
        aspect = "1:1"
    else:
        aspect = "16:9"
    fit = "blur" if _FIT_BLUR.search(c.whole) else "crop"
    return Op("set_aspect", {"aspect": aspect, "fit": fit})


LOOKS = (
    (
        "bw",
        r"\bblack (?:and|&|n) white\b|\bb ?& ?w\b|\bb/w\b|\bbw\b|\bgr[ae]y ?scale\b|\bmonochrome\b|\bmono\b|\bno colou?rs?\b|\bcolou?rless\b|\bnoir\b|黑白|灰度|去色|灰色|灰调",
    ),
    ("sepia", r"\bsepia\b|怀旧|老照片|棕褐"),
    (
        "vintage",
        r"\bvintage\b|\bretro\b|\bold[- ](?:film|school|movie|timey)\b|\bfilm look\b|\b(?:70|80|90)s (?:style|look|vibe|aesthetic|feel|filter|film|colou?rs?)\b|复古|胶片|老电影|年代感",
    ),
    ("warm", r"\bwarm(?:er)?\b|\bgolden\b|\bsunny\b|暖色|暖调|暖一点|暖一些|偏暖|温暖|暖"),
    (
        "cool",
        r"\bcool(?:er)? (?:tones?|look|colou?rs?|filter|grade)\b|\bcooler\b|\bcold(?:er)?\b|\bblue(?:r|ish)? (?:tint|tone|look)\b|冷色|冷调|冷一点|偏冷|清冷|冷",
    ),
    ("vivid", r"\bvivid\b|\bvibrant\b|\bpunchy\b|\bpop\b|鲜艳|艳丽|鲜亮"),
    (
        "none",
        r"\bno filter\b|\bremove (?:the )?(?:filter|look|effect|colou?r)s?\b|\boriginal colou?rs?\b|\bnormal colou?rs?\b|\bcolou?r back\b|去掉滤镜|取消滤镜|原色|恢复颜色|去掉黑白|不要滤镜|恢复彩色|彩色",
    ),
)
LOOK_WORDS = w("|".join(p for _, p in LOOKS))


def _look(c: Clause, m: re.Match[str]) -> Result:
    r = _look_of(c)
    c.claim(m.start(), m.end())  # "90s style" is not 90 seconds
    return r


def _look_of(c: Clause) -> Result:
    for name, pattern in LOOKS:
        if name == "none" and re.search(pattern, c.low, re.IGNORECASE):
            return Op("look", {"name": "none"})
    for name, pattern in LOOKS:
        if re.search(pattern, c.low, re.IGNORECASE):
            if name == "vivid" and re.search(r"\bmore\b|更|一点", c.low):
                return Op("adjust", {"saturation": _r(_amount(c, 0.2))})
            return Op("look", {"name": name})
    return None


_ADJUST = (
    (
        "brightness",
        0.1,
        r"\bbright(?:er|en|ness)?\b|\blighter\b|\blighten\b|\bexposure\b|调亮|变亮|亮一点|亮一些|亮点|提亮|亮度|更亮|太暗|亮",
        r"\bdark(?:er|en)?\b|\bdim(?:mer)?\b|\btoo bright\b|\blower (?:the )?brightness|调暗|变暗|暗一点|暗一些|暗点|压暗|更暗|太亮|暗",
    ),
    (
        "contrast",
        0.2,
        r"\bcontrast\b|对比度|对比",
        r"\bless contrast\b|\blower (?:the )?contrast|\breduce (?:the )?contrast|\bflatter\b|降低对比|对比度低|对比度降|减少对比|对比.{0,3}(?:低|小|弱)",
    ),
    (
        "saturation",
        0.2,
        r"\bsaturat(?:ion|ed|e)\b|\bcolou?rful\b|\bmore colou?rs?\b|\bpop more\b|\bmore vivid\b|饱和|色彩|鲜艳一点|更鲜艳|颜色.{0,2}(?:浓|艳)",
        r"\bdesaturat|\bless saturat|\bless colou?r|\bmuted\b|\bwashed\b|\bfaded colou?rs\b|降低饱和|饱和度低|淡一点|饱和度降|降饱和|饱和.{0,3}(?:低|小|弱)",
    ),
)
ADJUST_WORDS = w("|".join(f"{up}|{down}" for _, _, up, down in _ADJUST))
_DOWN_WORDS = w(
    r"\bless\b|\blower\b|\breduce\b|\bdecrease\b|\bdown\b|\bdrop\b|降低|减少|调低|低一点|弱一点|少一点|减"
)


def _adjust(c: Clause, m: re.Match[str]) -> Result:
    args: dict[str, float] = {}
    for key, base, up, down in _ADJUST:
        hit_up = re.search(up, c.low, re.IGNORECASE)
        hit_down = re.search(down, c.low, re.IGNORECASE)
        if not hit_up and not hit_down:
            continue
        neg = bool(hit_down)
        if key == "brightness" and re.search(r"太暗|too dark|not bright enough|不够亮", c.low):
            neg = False
        elif key == "brightness" and re.search(r"太亮|too bright|不够暗", c.low):
            neg = True
        if not hit_down and hit_up and _DOWN_WORDS.search(c.low) and not re.search(r"太暗|too dark", c.low):
            neg = True
        p = slots.percent(c.low)
        step = p if p is not None else _amount(c, base)
        args[key] = _r(-step if neg else step)
    if not args:
        return None
    c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
    return Op("adjust", args)


def _rotate(c: Clause, m: re.Match[str]) -> Result:
    deg = slots.number(c.low, r"°|degrees?|deg\b|度")
    if deg is None:
        n = re.search(r"\b(90|180|270)\b", c.low)
        deg = float(n.group(1)) if n else None
    ccw = bool(
        re.search(r"\bleft\b|counter[- ]?clockwise|anti[- ]?clockwise|\bccw\b|逆时针|向左|左转|往左", c.low)
    )
    if deg is None:
        if re.search(r"upside[- ]?down|倒过来|颠倒|上下颠倒", c.low):
            deg = 180.0
        else:
            deg = 90.0
    d = round(deg) % 360
    if ccw:
        d = (360 - d) % 360
    if d not in (90, 180, 270):
        return Note(
            "I can rotate by 90, 180 or 270 degrees.",
            "只能旋转90度、180度或270度。",
        )
    c.claim_all(w(r"\d{1,3}\s?(?:°|degrees?|deg\b|度)"))
    return Op("rotate", {"degrees": d})


def _flip(c: Clause, m: re.Match[str]) -> Result:
    vertical = bool(re.search(r"vertical|upside|top to bottom|上下|垂直|竖直", c.low))
    return Op("flip", {"axis": "vertical" if vertical else "horizontal"})


def _zoom(c: Clause, m: re.Match[str]) -> Result:
    low = c.low
    slow_words = w(
        r"ken ?burns|\bslow(?:ly)?\b|\bgradual(?:ly)?\b|\bkeeps? zooming|\bcreep\w*|慢慢|缓慢|逐渐|渐渐|推镜|缓推|慢推"
    )
    kb = bool(slow_words.search(low))
    c.claim_all(slow_words)
    c.claim(m.start(), m.end())
    f = slots.factor(low)
    p = slots.percent(low)
    if f is not None and f[0] > 1:
        factor = f[0]
        c.claim(f[1], f[2])
    elif p is not None:
        factor = 1 + p if p < 1 else p
        c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
    else:
        factor = 1.2 if kb else 1.3
        factor = 1 + _amount(c, factor - 1)
    return Op("zoom", {"factor": _r(_clamp(factor, 1.05, 4.0)), "mode": "kenburns" if kb else "punch"})


_HEIGHTS = {
    "4k": 2160,
    "2k": 1440,
    "uhd": 2160,
    "full hd": 1080,
    "fhd": 1080,
    "hd": 720,
    "sd": 480,
    "超清": 1080,
    "高清": 720,
    "标清": 480,
    "蓝光": 1080,
}


def _resolution(c: Clause, m: re.Match[str]) -> Result:
    n = re.search(
        r"(?<!\d)(\d{3,4})\s?p\b|(?<!\d)(\d{3,4})\s?[pP]|(?:resolution|分辨率)\D{0,6}(\d{3,4})(?!\d)", c.low
    )
    if n:
        h = int(n.group(1) or n.group(2) or n.group(3))
        c.claim(n.start(), n.end())
    else:
        word = next(
            (
                k
                for k in sorted(_HEIGHTS, key=len, reverse=True)
                if re.search(rf"(?<![a-z]){k}(?![a-z])", c.low)
            ),
            None,
        )
        if word is None:
            low_res = re.search(r"\blower\b|\bsmaller\b|\breduce\b|降低|调低|小一点", c.low)
            h = 480 if low_res else 1080
        else:
            h = _HEIGHTS[word]
            c.claim_all(w(rf"(?<![a-z]){word}(?![a-z])"))
    if h not in (144, 240, 360, 480, 540, 720, 1080, 1440, 2160):
        return Note("I can make it 360p, 480p, 720p, 1080p or 4K.", "可以改成360p、480p、720p、1080p或4K。")
    return Op("resolution", {"height": h})


def _fps(c: Clause, m: re.Match[str]) -> Result:
    n = re.search(
        r"(\d{1,3}(?:\.\d{1,3})?)\s?(?:fps|frames? (?:per|a) second|frames?/s|帧)", c.low
    ) or re.search(r"(?:fps|frame ?rate|帧率|帧数)\D{0,12}(\d{1,3}(?:\.\d{1,3})?)", c.low)
    if not n:
        return None
    v = float(n.group(1))
    if not 1 <= v <= 120:
        return Note("The frame rate can be 1 to 120 fps.", "帧率可以是1到120。")
    c.claim(n.start(), n.end())
    return Op("fps", {"fps": v})


# -- text ---------------------------------------------------------------------------------------------------------
_TEXT_STOP = w(
    r"\s(?:at|for|from|on|in the|during|until|to the|starting|lasting|and|with|then)\s|\s(?:at|for)$|在|持续|从|放在|显示|于|并"
)


def _text_content(c: Clause, kw_end: int) -> str | None:
    q = c.quote()
    if q is not None:
        return q.strip() or None
    rest = c.text[kw_end:]
    low_rest = rest.lower()
    stop = _TEXT_STOP.search(low_rest)
    body = rest[: stop.start()] if stop else rest
    body = re.sub(
        r"^\s*(?:[:：=]|saying|that says|which says|reading|of|called|named|为|是|叫|写着|内容是)\s*",
        "",
        body,
        flags=re.IGNORECASE,
    )
    body = body.strip(" :：-\"'“”「」")
    if not body or len(body) > 120 or re.fullmatch(r"[\d\s.:]*|(?:to|on|in|it|please|pls|too)", body.lower()):
        return None
    return body


def _text(c: Clause, m: re.Match[str]) -> Result:
    marks = list(QUOTE.finditer(c.text))
    if len(marks) > 1:  # 'add title "Day 1" and subtitle "Tokyo"': one text each, its own word before it
        cuts = [0]
        for prev, q in itertools.pairwise(marks):  # each text's part starts at the words that name it
            words = list(m.re.finditer(c.low, prev.end(), q.start()))
            cuts.append(words[-1].start() if words else prev.end())
        ops = []
        for a, b in itertools.pairwise([*cuts, len(c.low)]):
            part = replace(c, text=c.text[a:b], low=c.low[a:b])
            word = m.re.search(part.low)
            r = _text(part, word) if word else None
            if isinstance(r, Op):
                ops.append(r)
        return ops or None
    content = _text_content(c, m.end())
    if not content:
        return None
    kind = "title" if re.search(r"(?<!sub)title|heading|headline|标题|大字", c.low) else "text"
    pos = "center" if kind == "title" else "bottom"
    low = c.low
    if re.search(r"\btop\b|顶部|上方|上面|顶上", low):
        pos = "top"
    elif re.search(r"\bbottom\b|底部|下方|下面|底下", low):
        pos = "bottom"
    elif re.search(r"\bcent(?:er|re)\b|\bmiddle\b|中间|居中|正中", low):
        pos = "center"
    ts = [t for t in c.times() if t.explicit]
    start, dur = 0.0, 3.0
    rng = _range(c, ts)
    if rng:
        start, end = rng
        dur = max(0.5, end - start)
    else:
        for t in ts:
            before = low[max(0, t.start - 12) : t.start]
            if re.search(r"\bfor\s*$|持续\s*$|显示\s*$|\blasting\s*$|\blong\s*$", before) or re.search(
                r"^\s*(?:long|长|的时长)", low[t.end : t.end + 6]
            ):
                dur = t.seconds
            elif re.search(r"[,，、]\s*$", before) and not re.search(r"\b(?:at|from)\b|在|从", low[: t.start]):
                dur = t.seconds  # "add the title 'Finals', 3 seconds": how long it shows, said after a pause
            else:
                start = t.seconds
        if not ts and re.search(r"\b(?:at|in|to) the end\b|\bending\b|结尾|最后|片尾", low) and c.total > 0:
            start = max(0.0, c.total - dur)
    c.used_time = True
    return Op(
        "add_text",
        {
            "text": content,
            "start": _r(start),
            "duration": _r(_clamp(dur, 0.5, 600.0)),
            "pos": pos,
            "kind": kind,
        },
    )


def _clear_text(c: Clause, m: re.Match[str]) -> Result:
    c.claim(m.start(), m.end())
    return Op("clear_text")


def _media_of(c: Clause, kinds: tuple[str, ...], exts: tuple[str, ...]) -> dict[str, Any] | None:
    for info in reversed(list(c.media)):
        name = str(info.get("filename") or "").lower()
        if info.get("file_type") in kinds or name.endswith(exts):
            return info
    return None


def _subtitles(c: Clause, m: re.Match[str]) -> Result:
    srt = _media_of(c, ("subtitle", "subtitles"), (".srt", ".vtt"))
    if c.quote() is not None and srt is None:
        return None  # "add subtitle 'hi'": a caption, not a subtitle file
    if srt is None:
        return Note(
            "Upload the .srt file first, or type the lines with their times, e.g. “subtitles: 0-2 Hello / 2-4 Bye”.",
            "请先上传.srt字幕文件，或写出每行字幕和时间，例如“字幕：0-2 你好 / 2-4 再见”。",
        )
    c.used_time = True
    c.claim(m.start(), m.end())
    return Op("subtitles", {"file_id": srt.get("id")})


_CORNERS = (
    ("top-left", r"top[- ]?left|upper[- ]?left|左上"),
    ("top-right", r"top[- ]?right|upper[- ]?right|右上"),
    ("bottom-left", r"bottom[- ]?left|lower[- ]?left|左下"),
    ("bottom-right", r"bottom[- ]?right|lower[- ]?right|右下"),
)


def _watermark(c: Clause, m: re.Match[str]) -> Result:
    img = _media_of(c, ("image",), (".png", ".jpg", ".jpeg", ".webp"))
    if img is None:
        return Note(
            "Upload the logo image (PNG or JPG) first, then ask again.",
            "请先上传logo图片（PNG或JPG），再说一次。",
        )
    corner = next((name for name, p in _CORNERS if re.search(p, c.low)), "bottom-right")
    opacity = 0.8
    o = re.search(
        r"(\d{1,3})\s?%\s*(?:opacity|opaque|透明度|不透明)|(?:opacity|透明度|不透明度)\D{0,8}(\d{1,3})\s?%",
        c.low,
    )
    if o:
        opacity = int(o.group(1) or o.group(2)) / 100
        if re.search(r"透明度", c.low) and not re.search(r"不透明", c.low):
            opacity = 1 - opacity if o.group(2) else opacity
    elif re.search(r"\b(?:faint|subtle|transparent|see[- ]through)\b|半透明|淡一点|透明", c.low):
        opacity = 0.5
    size = 0.15
    s = re.search(
        r"(\d{1,2})\s?%\s*(?:of the )?(?:width|size|wide|宽|大小)|(?:size|大小|宽度)\D{0,8}(\d{1,2})\s?%",
        c.low,
    )
    if s:
        size = int(s.group(1) or s.group(2)) / 100
    elif re.search(r"\b(?:small|tiny|little)\b|小一点|小的|小", c.low):
        size = 0.1
    elif re.search(r"\b(?:big|large|bigger)\b|大一点|大的|大", c.low):
        size = 0.25
    c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
    return Op(
        "watermark",
        {
            "file_id": img.get("id"),
            "corner": corner,
            "opacity": _r(_clamp(opacity, 0.05, 1.0)),
            "size": _r(_clamp(size, 0.02, 0.9)),
        },
    )


# -- files ---------------------------------------------------------------------------------------------------------
def _compress(c: Clause, m: re.Match[str]) -> Result:
    n = re.search(r"(\d{1,5}(?:\.\d{1,2})?)\s?(?:mb|megabytes?|megs?|m\b|兆|M)", c.low, re.IGNORECASE)
    if n:
        c.claim(n.start(), n.end())
        mb = float(n.group(1))
    elif re.search(r"discord", c.low):
        mb = 10.0
    elif re.search(r"whats ?app|微信", c.low):
        mb = 16.0
    elif re.search(r"email|e-mail|邮件", c.low):
        mb = 25.0
    else:
        mb = 10.0
    if not 0.5 <= mb <= 4000:
        return Note(
            "Give a size from 1 MB up, e.g. “compress to 10 MB”.", "请给出1MB以上的大小，例如“压缩到10MB”。"
        )
    return Op("compress", {"mb": mb})


def _output(c: Clause, m: re.Match[str]) -> Result:
    word = m.group(0).lower()
    if re.search(r"gif|动图|表情包", word):
        return Op("output", {"format": "gif"})
    if re.search(r"mp3|audio|sound|音频|音乐|声音|音轨", word):
        return Op("output", {"format": "mp3"})
    if re.search(r"mp4|video|视频", word):
        return Op("output", {"format": "mp4"})
    ts = [t for t in c.times() if t.explicit]
    c.used_time = True
    return Op("output", {"format": "cover", "at": _r(ts[0].seconds)} if ts else {"format": "cover"})


# -- the declarations ------------------------------------------------------------------------------------------------
# Order matters only inside one instruction: earlier edits claim the words and numbers they use.
EDITS: tuple[Edit, ...] = (
    Edit(
        "undo",
        w(
            r"\bundo\b|\brevert\b|\bgo back\b|\btake (?:that|it) back\b|\bundo that\b|\breverse (?:that|the last|what you|my last)|\bchange it back\b|\bput it back\b|撤销|撤回|回退|返回上一步|恢复上一步|上一步|退回|还原|改回去|不要刚才"
        ),
        _undo,
        "undo",
        "撤销",
        ("undo", "back", "revert", "撤销"),
        ("undo", "revert"),
    ),
    Edit(
        "highlights",
        w(
            r"highlight|best (?:moments|parts|bits|scenes|shots)|\brecap\b|\bmontage\b|精彩|集锦|高光|亮点|精华"
        ),
        _highlights,
        "make a 30-second highlight reel",
        "做一个30秒的精彩集锦",
        ("highlight", "best", "reel", "集锦"),
        ("highlights", "montage"),
    ),
    Edit(
        "example_clip",
        w(r"\bexample\b|\bsample (?:clip|video|edit)|\bdemo clip\b|示例|样片|例子|范例|样例"),
        _example,
        "show me an example clip",
        "给我一个示例片段",
        ("example", "sample", "示例"),
    ),
    Edit(
        "cut_pauses",
        w(
            r"没(?:有)?声音?的(?:地方|部分|片段)|\bpauses?\b|\bsilen(?:ce|ces|t parts?|t bits?|t gaps?)\b|\bdead air\b|\bgaps\b|\bjump ?cuts?\b|\bquiet parts\b|\bawkward (?:pauses|silences|gaps)\b|\bums?\b|停顿|空白|无声|沉默|冷场|气口|(?:去掉|剪掉|删除|去除|删掉|切掉)静音|静音(?:部分|片段|段)"
        ),
        _pauses,
        "cut the pauses",
        "去掉停顿",
        ("pause", "silence", "gap", "停顿"),
        ("pauses", "silences", "silence"),
    ),
    Edit(
        "unmute",
        w(
            r"\bunmute\b|\brestore (?:the )?(?:audio|sound)\b|\bsound (?:back )?on\b|\bbring back the (?:audio|sound)\b|取消静音|恢复声音|打开声音|恢复原声|把声音打开"
        ),
        _unmute,
        "unmute",
        "取消静音",
        ("unmute", "sound", "声音"),
        ("unmute",),
    ),
    Edit(
        "audio_fade",
        w(
            r"\b(?:audio|sound|music|song|volume|bgm)\b.{0,20}\bfade|\bfade\b.{0,20}\b(?:audio|sound|music|song|bgm)\b|(?:声音|音乐|音频|背景音乐|配乐|bgm).{0,6}(?:淡入|淡出|渐入|渐出|渐弱|渐强)|(?:淡入|淡出).{0,4}(?:声音|音乐|音频)"
        ),
        _audio_fade,
        "fade the music out",
        "音乐淡出",
        ("fade", "music", "淡出"),
    ),
    Edit(
        "loudnorm",
        w(
            r"\bnormali[sz]e\b|\bloudness\b|\beven out the (?:audio|sound|volume)\b|\b(?:audio|sound|volume) (?:consistent|even|levels?)\b|\blevel (?:out )?the (?:audio|sound)\b|响度|音量标准化|音量均衡|音量统一|声音统一|音量一致|标准化"
        ),
        _loudnorm,
        "normalise the loudness",
        "响度标准化",
        ("normalize", "loudness", "level", "响度"),
        ("normalize", "normalise", "loudness"),
    ),
    Edit(
        "denoise",
        w(
            r"\bde-?nois(?:e|ing)\b|\b(?:remove|reduce|cut|clean|get rid of|kill|less)\b.{0,20}\b(?:noise|hiss|hum|static|wind noise)\b|\bnoise (?:reduction|removal)\b|\bclean up the (?:audio|sound|voice)\b|\bnoisy\b|降噪|去噪|去除杂音|去掉噪音|去杂音|噪音|杂音|底噪|电流声"
        ),
        _denoise,
        "remove the background noise",
        "降噪",
        ("noise", "denoise", "hiss", "噪音"),
        ("denoise", "noise", "noisy"),
    ),
    Edit(
        "output",
        w(
            r"(?<![a-z])(?:gif|mp3|mp4)(?![a-z])|\b(?:extract|rip|export|save|pull|just)\b.{0,12}\b(?:audio|sound|music)\b|\baudio only\b|\bcover\b|\bthumbnail\b|\bposter frame\b|动图|表情包|提取音频|导出音频|提取声音|提取音乐|只要声音|只要音频|音频文件|封面|缩略图"
        ),
        _output,
        "export it as a GIF",
        "导出成GIF动图",
        ("gif", "mp3", "audio", "cover", "thumbnail", "封面"),
        ("gif", "thumbnail", "cover"),
    ),
    Edit(
        "music",
        w(r"\bmusic\b|\bbgm\b|\bsoundtrack\b|\bsong\b|背景音乐|配乐|音乐|背景乐|bgm|歌"),
        _music,
        "add background music at 30%",
        "加背景音乐 音量30%",
        ("music", "song", "音乐"),
        ("music", "soundtrack"),
    ),
    Edit(
        "mute",
        w(
            r"\bmute\b|\bsilence (?:the )?(?:video|clip|audio|it)\b|\bremove (?:the )?(?:original )?(?:audio|sound)\b|\bno (?:sound|audio)\b|\bwithout (?:sound|audio)\b|\bturn off (?:the )?(?:sound|audio)\b|\bkill the (?:sound|audio)\b|\bsilent\b|静音|消音|去掉声音|关闭声音|去掉原声|关掉声音|不要声音|没有声音|无声"
        ),
        _mute,
        "mute",
        "静音",
        ("mute", "sound", "静音"),
        ("mute",),
    ),
    Edit(
        "volume",
        w(
            r"\bvolume\b|\blouder\b|\bquieter\b|\bsofter\b|\bturn (?:it |the sound |the audio )?(?:up|down)\b|\bboost the (?:audio|sound)\b"
            r"|\b(?:sound|audio)\b.{0,14}\b(?:lower|higher|down|up)\b|音量|声音大|声音小|调大|调小|大声|小声|声音.{0,3}(?:大|小|一半|减半)"
        ),
        _volume,
        "volume 50%",
        "音量50%",
        ("volume", "louder", "quieter", "音量"),
        ("volume", "louder", "quieter"),
    ),
    Edit(
        "zoom",
        w(
            r"\bzoom|\bpunch[- ]?in\b|\bken ?burns\b|\bpush[- ]?in\b|\bcloser\b|\bcrop (?:in|closer|tighter)\b|\bmagnify\b|放大|推近|拉近|推镜|缩放|变焦|特写"
        ),
        _zoom,
        "zoom in",
        "放大画面",
        ("zoom", "closer", "crop", "放大"),
        ("zoom", "closer"),
    ),
    Edit(
        "loop",
        w(
            r"\bloop(?:ed|ing)?\b|\brepeat\b|\bplay (?:it )?(?:twice|\d+ times)\b|\bplay it again\b|循环|重复|播放两遍|播两遍|放两遍"
        ),
        _loop,
        "loop it 3 times",
        "循环3次",
        ("loop", "repeat", "循环"),
        ("loop", "repeat"),
    ),
    Edit(
        "speed",
        w(
            r"\bspeed\b|\bfaster\b|\bslower\b|\bfast\b|慢速|快速|放慢|变慢|调慢|放快|变快|调快|\bslow[- ]?mo(?:tion)?\b|\btime-?lapse\b|\bspeed (?:it )?up\b|\bslow (?:it |this |the video )?down\b|\bfast[- ]?forward\b|\bquicker\b|\bspeedup\b|\bslow\b|\d\s?x\b|\bx\s?\d|加速|减速|慢放|快放|慢动作|倍速|快进|快一点|慢一点|快点|慢点|再快|再慢|速度|延时|\d\s?倍(?!.{0,3}(?:大|放大|音量))|慢镜头"
        ),
        _speed,
        "2x speed",
        "2倍速",
        ("speed", "fast", "slow", "速度"),
        ("faster", "slower", "speed", "slowmo"),
    ),
    Edit(
        "reverse",
        w(
            r"\breverse\b|\breversed\b|\bbackwards?\b|\bin reverse\b|\brewind (?:effect|it)\b|\bplay it back ?wards\b|倒放|倒着放|倒着播|倒序|反向播放|倒播|倒过来放|回放效果"
        ),
        _reverse,
        "reverse the video",
        "倒放",
        ("reverse", "backwards", "倒放"),
        ("reverse", "backwards"),
    ),
    Edit(
        "transitions",
        w(
            r"\btransitions?\b|\bcross-?fades?\b|\bcross-?dissolves?\b|\bdissolves?\b|\bwipes?\b|\bslides?\b|转场|过渡|交叉淡化|溶解|叠化"
        ),
        _transitions,
        "add crossfade transitions",
        "加转场",
        ("transition", "crossfade", "转场"),
        ("transitions", "crossfade", "dissolve"),
    ),
    Edit(
        "fades",
        w(
            r"\bfade[- ]?in\b|\bfade[- ]?out\b|\bfades?\b|\bfade (?:it )?in and out\b|\b(?:from|to) black\b|淡入|淡出|渐显|渐隐|黑场"
        ),
        _fades,
        "fade in and out",
        "淡入淡出",
        ("fade", "black", "淡入"),
        ("fade",),
    ),
    Edit(
        "join",
        w(
            r"\bjoin\b|\bmerge\b|\bcombine\b|\bconcat(?:enate)?\b|\bstitch\b|\bput (?:them|the clips|it all|everything) together\b|\ball (?:the )?clips\b|合并|拼接|连接起来|串起来|合成一个|接在一起|连起来|拼在一起|合在一起|合起来|放一起|拼一起"
        ),
        _join,
        "join the clips",
        "合并视频",
        ("join", "merge", "combine", "合并"),
        ("merge", "combine", "join"),
    ),
    Edit(
        "set_aspect",
        w(r"(?<![\d.])(?:9|16|1|4|3|2|21)\s?[:：/x×比]\s?(?:16|9|1|3|5|4)(?![\d.])|" + ASPECT_WORDS.pattern),
        _aspect,
        "make it 9:16",
        "改成9:16竖屏",
        ("vertical", "square", "landscape", "aspect", "ratio", "竖屏", "横屏"),
        ("vertical", "portrait", "square", "landscape", "horizontal", "tiktok"),
    ),
    Edit(
        "look",
        LOOK_WORDS,
        _look,
        "make it black and white",
        "变成黑白",
        (
            "colour",
            "color",
            "filter",
            "look",
            "tone",
            "grade",
            "purple",
            "green",
            "red",
            "颜色",
            "滤镜",
            "色调",
            "色",
        ),
        ("black", "white", "vintage", "sepia", "grayscale", "monochrome", "warmer", "cooler", "vivid"),
    ),
    Edit(
        "adjust",
        ADJUST_WORDS,
        _adjust,
        "make it brighter",
        "调亮一点",
        ("bright", "dark", "light", "contrast", "saturation", "exposure", "亮", "暗", "对比"),
        ("brighter", "darker", "brightness", "contrast", "saturation", "saturated"),
    ),
    Edit(
        "rotate",
        w(
            r"\brotat|\bturn (?:it |the video )?(?:90|180|270|sideways|upside[- ]?down|left|right|clockwise)|\bupside[- ]?down\b|\bsideways\b|\bclockwise\b|旋转|转90|转180|转270|(?<!翻)转一下|倒过来|颠倒|顺时针|逆时针|转个方向"
        ),
        _rotate,
        "rotate it 90 degrees",
        "旋转90度",
        ("rotate", "turn", "sideways", "旋转"),
        ("rotate", "rotation", "clockwise"),
    ),
    Edit(
        "flip",
        w(r"\bflip|\bmirror|镜像|翻转|左右翻|上下翻"),
        _flip,
        "flip it horizontally",
        "水平翻转",
        ("flip", "mirror", "翻转"),
        ("flip", "mirror", "mirrored"),
    ),
    Edit(
        "resolution",
        w(
            r"(?<!\d)\d{3,4}\s?p\b|(?<!\d)\d{3,4}\s?[pP]|\bresolution\b|(?<![a-z0-9])(?:4k|2k|uhd|full hd|fhd|hd)(?![a-z])|分辨率|超清|高清|标清|蓝光|清晰度"
        ),
        _resolution,
        "make it 720p",
        "改成720p",
        ("resolution", "quality", "hd", "清晰", "分辨率"),
        ("resolution",),
    ),
    Edit(
        "fps",
        w(r"fps\b|\bframe ?rate\b|\bframes? (?:per|a) second\b|\bframes?/s\b|帧率|帧数|\d\s?帧"),
        _fps,
        "convert it to 30 fps",
        "帧率改成30",
        ("fps", "frame", "frames", "帧"),
        ("framerate", "frames"),
    ),
    Edit(
        "clear_text",
        w(
            r"\b(?:remove|delete|drop|clear|get rid of|no)\b.{0,12}\b(?:titles?|text|captions?|subtitles?|words)\b|(?:去掉|删除|删掉|移除|清除|不要).{0,4}(?:标题|字幕|文字|文本)"
        ),
        _clear_text,
        "remove the text",
        "删除文字",
        ("text", "title", "文字"),
    ),
    Edit(
        "subtitles",
        w(r"\bsubtitles?\b|\bsubs\b|\bsrt\b|\bclosed captions\b|\bcc\b|字幕文件|字幕"),
        _subtitles,
        "add the subtitles from the .srt file",
        "加上字幕文件",
        ("subtitle", "srt", "字幕"),
        ("subtitles",),
    ),
    Edit(
        "add_text",
        w(
            r"\b(?:put|add|write|slap|stick|throw)\b(?=[^\ue000]{0,16}\ue000)|(?:加|写|放|打)(?=[^\ue000]{0,6}\ue000)|\btitles?\b|\bheadings?\b|\bcaptions?\b|\btext\b|\bsubtitles?\b|\bheadline\b|\blabel\b|\bwrite\b|\boverlay\b|标题|字幕|文字|文本|大字|写上|写着"
        ),
        _text,
        "add the title 'Summer'",
        "加标题「夏天」",
        ("title", "text", "caption", "标题", "文字"),
        ("title", "caption", "text", "headline"),
    ),
    Edit(
        "watermark",
        w(r"\bwatermark|\blogo\b|\bbrand(?:ing)?\b|水印|标志|台标|商标|logo"),
        _watermark,
        "add my logo in the top right",
        "把logo放在右上角",
        ("logo", "watermark", "水印"),
        ("watermark", "logo"),
    ),
    Edit(
        "compress",
        w(
            r"\bcompress|\bsmaller file\b|\bsmaller (?:for|to send)\b|\bfile smaller\b|\bfor (?:whatsapp|discord|email)\b|\bfile size\b|\breduce (?:the )?size\b|\bunder \d+\s?mb\b|\bfit (?:in|into|under)\b.{0,20}\bmb\b|\b\d+\s?mb\b|\bshrink the file\b|\btoo big to send\b|压缩|文件.{0,3}小|体积|\d+\s?(?:兆|mb)\b"
        ),
        _compress,
        "compress it to 10 MB",
        "压缩到10MB",
        ("compress", "size", "mb", "small", "压缩"),
        ("compress", "compression"),
    ),
    Edit(
        "more",
        w(
            r"^\s*(?:a (?:little |tiny )?bit |little |slightly |even |some |way |much |just )?(?:more|less)\b|\b(?:a bit|a little|slightly|even|some) (?:more|less)\b|^\s*(?:again|one more time|same again|do it again|more please)\b|\btoo much\b|\bnot enough\b|\bdo that again\b|\bagain\b|再来一点|再多一点|再来一次|再多点|多一点|再来|还不够|不够|少一点|少点|太多了|过了|再一次"
        ),
        _more,
        "a bit more",
        "再多一点",
        ("more", "again", "再"),
        alone=True,
    ),
    Edit(
        "trim",
        w(r"\S"),
        _trim,
        "keep the first 5 seconds",
        "保留前5秒",
        ("cut", "trim", "keep", "seconds", "shorter", "long", "剪", "秒", "保留"),
        ("seconds", "trim", "shorten", "minute"),
    ),
)


def example(edit: Edit, lang: str) -> str:
    return edit.example_zh if lang == "zh" else edit.example_en
