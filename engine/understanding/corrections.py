"""Corrections: "no wait, 6", "actually, ten seconds", "不对，要六秒", "less zoom", "a bit shorter".

A correction revises the previous message's edit from where it started instead of stacking on it: the plan
is ``revise`` (the tools take the last message's edits back, as one undo step with what follows) and the
revised operation. What it revises comes from ``last`` (the previous message's operations): a new value
said on its own ("6") takes the place of that edit's main value; a whole instruction ("no, make it 9:16")
replaces it when it is the same kind of edit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from . import slots
from .edits.base import _clamp, _r
from .ops import Op, Plan

_PREFIX = re.compile(
    r"^\s*(?:(?:no+|nope|nah|oops|sorry|wait|hmm+)\s*[,.!:;-]+\s*|no+,? wait\b[\s,.!:-]*|actually\b[\s,.!:-]*"
    r"|i meant?\b[\s,.!:-]*|make that\b[\s,.!:-]*|scratch that\b[\s,.!:-]*|correction\b[\s,.!:-]*"
    r"|(?:不对|不是|错了|等等|等一下|我是说|我的意思是|应该是|说错了)[\s,，.。:：!！]*)+",
    re.IGNORECASE,
)
_LESS_ZOOM = re.compile(
    r"^\s*(?:a bit |a little |slightly )?less zoom(?:ed)?(?: in)?\b|\bnot so (?:much )?zoom(?:ed)?\b|\btoo (?:much )?zoomed\b"
    r"|\bzoom (?:in )?(?:a bit |a little )?less\b|少放大一点|放大少一点|别放那么大|放大太多|没那么大",
    re.IGNORECASE,
)
_SHORTER = re.compile(
    r"^\s*(?:(?:make it|a bit|a little|slightly|just)\s+)*(?:shorter|longer)\s*[.!]*\s*$|^\s*(?:再|稍微)?(?:短|长)(?:一点|一些|点)\s*[。！]*\s*$",
    re.IGNORECASE,
)
# the operations whose value a correction can change, and how
_REVISABLE = (
    "keep_range",
    "cut_range",
    "highlights",
    "example_clip",
    "speed",
    "zoom",
    "volume",
    "music_volume",
    "add_music",
    "loop",
    "rotate",
    "fades",
    "resolution",
    "fps",
    "compress",
    "set_aspect",
    "look",
    "speed_range",
    "bars",
)


def _value(rest: str) -> tuple[str, float] | None:
    """The one value said in a correction: a time, a percentage, a factor, an aspect or a bare number."""
    low = slots.digits(rest).lower()
    if a := slots.aspect(low):
        return "aspect", float(["9:16", "1:1", "16:9"].index(a[0]))
    if (p := slots.percent(low)) is not None:
        return "percent", p
    if f := slots.factor(low):
        return "factor", f[0]
    ts = slots.times(low)
    if ts:
        return ("time" if ts[0].explicit else "number"), ts[0].seconds
    m = re.search(r"(?<![\d.])(\d{1,4}(?:\.\d{1,3})?)", low)
    return ("number", float(m.group(1))) if m else None


def _with_value(op: Op, kind: str, v: float, total: float) -> Op | None:
    """``op`` with its main value replaced by what the correction said."""
    a: dict[str, Any] = dict(op.args)
    n = op.name
    if kind == "aspect":
        return Op(n, {**a, "aspect": ["9:16", "1:1", "16:9"][int(v)]}) if n == "set_aspect" else None
    if n in ("keep_range", "cut_range"):
        if kind not in ("time", "number"):
            return None
        start, end = float(a.get("start", 0)), float(a.get("end", 0))
        before = total + (end - start) if n == "cut_range" else total  # the length before that cut
        if n == "cut_range" and start > 0 and end >= before - 0.05:  # "cut the last 3 s", "no, 4"
            return Op(n, {"start": _r(max(0.0, before - v)), "end": _r(before)})
        if start == 0 or v > start:
            return Op(n, {**a, "end": _r(v if start == 0 or v > start else start + v)})
        return Op(n, {**a, "start": _r(max(0.0, end - v))})
    if n in ("highlights", "example_clip") and kind in ("time", "number"):
        return Op(n, {**a, "seconds": _r(v)})
    if n in ("speed", "zoom", "speed_range") and kind in ("factor", "number", "percent"):
        return Op(n, {**a, "factor": _r(v)})
    if n in ("volume", "music_volume", "add_music") and kind in ("percent", "number"):
        return Op(n, {**a, "volume": _r(v if kind == "percent" or v <= 4 else v / 100)})
    if n == "loop" and kind in ("number", "factor"):
        return Op(n, {"times": int(v)})
    if n == "rotate" and kind == "number":
        return Op(n, {"degrees": int(v)})
    if n == "fades" and kind in ("time", "number"):
        return Op(n, {k: (_r(v) if a.get(k) else None) for k in ("fade_in", "fade_out")})
    if n == "resolution" and kind == "number":
        return Op(n, {"height": int(v)})
    if n == "fps" and kind == "number":
        return Op(n, {"fps": v})
    if n == "compress" and kind == "number":
        return Op(n, {"mb": v})
    return None


def _relative(text: str, last: Op) -> Op | None:
    """ "less zoom", "a bit shorter", "长一点": the last edit's value moved back or on."""
    if _LESS_ZOOM.search(text) and last.name == "zoom":
        f = float(last.args.get("factor", 1.3))
        return Op("zoom", {**last.args, "factor": _r(max(1.05, 1 + (f - 1) / 2))})
    m = _SHORTER.search(text)
    if not m:
        return None
    longer = bool(re.search(r"longer|长", m.group(0), re.IGNORECASE))
    k = 1.25 if longer else 0.8
    if last.name == "keep_range":
        start, end = float(last.args.get("start", 0)), float(last.args.get("end", 0))
        length = end - start
        step = max(1.0, length * (k - 1)) if longer else min(-1.0, length * (k - 1))
        new = _clamp(length + step, 1.0, 24 * 3600.0)
        return Op("keep_range", {"start": _r(start), "end": _r(start + new)})
    if last.name in ("highlights", "example_clip"):
        secs = float(last.args.get("seconds", 30))
        return Op(last.name, {**last.args, "seconds": _r(_clamp(secs * k, 3.0, 1800.0))})
    return None


def revise(text: str, last: Sequence[Op], total: float, reread: Callable[[str], Plan], lang: str) -> Plan | None:
    """The plan of a correction of the last message's edit, or None when ``text`` is not one."""
    target = next((op for op in reversed(last) if op.name in _REVISABLE), None)
    if target is None:
        return None
    if (op := _relative(slots.digits(text), target)) is not None:
        return Plan([Op("revise"), op], None, lang)
    m = _PREFIX.match(text)
    if not m or not text[m.end() :].strip():
        return None
    rest = text[m.end() :]
    again = reread(rest)
    names = {op.name for op in last}
    if again.ops and all(op.name in names for op in again.ops):
        return Plan([Op("revise"), *_in_place(last, again.ops)], again.reply, lang, again.choices)
    if again.ops:
        return again  # "actually, also add music": a new edit, the last one stays
    said = _value(rest)
    if said is None:
        return None
    new = next(
        (n for op in reversed(last) if op.name in _REVISABLE and (n := _with_value(op, *said, total)) is not None),
        None,
    )
    if new is None:
        return None
    return Plan([Op("revise"), *_in_place(last, [new])], None, lang)


def _in_place(last: Sequence[Op], new: Sequence[Op]) -> list[Op]:
    """The last message's operations again (they are all taken back), each revised one in its place."""
    todo = list(new)
    out = []
    for op in last:
        if op.name == "revise":
            continue
        same = next((n for n in todo if n.name == op.name), None)
        if same is not None:
            todo.remove(same)
        out.append(same or op)
    return out + todo
