"""Undo and “more of the same”."""

from __future__ import annotations

import re

from .. import slots
from ..ops import Op
from .base import Clause, Note, Result, _clamp, _r


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


