"""The page's edits of the draft, pure: what a hand did (a segment's ends dragged, a split at the
playhead, a segment deleted, a title moved or retyped, the shape and the crop frame), checked and
applied in order, each told in a sentence in English and Chinese.

``view(draft, media)`` is the draft as the page draws it; ``version(draft)`` names a draft, so an edit made
on an older one (another device, a chat edit meanwhile) is refused instead of overwriting it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .. import draft as dr

MAX_EDITS = 200
MAX_TEXT = 200


class Refused(ValueError):
    """An edit that cannot be applied, told in both languages."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclass
class Applied:
    draft: dr.Draft
    en: list[str] = field(default_factory=list)
    zh: list[str] = field(default_factory=list)

    def say(self, en: str, zh: str) -> None:
        self.en.append(en)
        self.zh.append(zh)


def version(draft: Any) -> str:
    """A short name of a draft's content: equal drafts, equal names."""
    raw = json.dumps(draft if isinstance(draft, dict) else dr.empty_draft(), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _s(ms: float) -> str:
    return f"{ms / 1000:.1f}"


def aspect_of(d: dr.Draft) -> str | None:
    cv = d.get("cv")
    if not isinstance(cv, dict):
        return None
    for name, (w, h) in dr.ASPECTS.items():
        if dr._num(cv.get("w"), 0) * h == dr._num(cv.get("h"), 0) * w and cv.get("w"):
            return name
    return None


def view(draft: Any, media: list[dict[str, Any]]) -> dict[str, Any]:
    """What the page draws: the video segments (with their source spans), titles, music, the shape."""
    d = dr.ensure_footage(draft, media)
    infos = {m.get("id"): m for m in media if isinstance(m, dict)}
    video = []
    for s in dr.segments(d, dr.VIDEO):
        m = s["m"]
        src = str(m.get("src") or "")
        info = infos.get(src, {})
        video.append({
            "st": s["st"], "d": s["d"], "in": dr._int(m.get("in"), 0), "speed": dr.speed_of(s),
            "src": src if src in infos and not m.get("card") else "",
            "still": bool(m.get("still")), "card": m.get("card") if isinstance(m.get("card"), str) else "",
            "name": str(m.get("name") or info.get("filename") or ""),
            "srcd": round(dr._num(info.get("duration"), 0) * 1000),
        })
    texts = [
        {"st": s["st"], "d": s["d"], "text": str(s["m"].get("text", "")), "kind": str(s["m"].get("kind", "title"))}
        for s in dr.segments(d, dr.TEXT)
    ]
    music = [
        {"st": s["st"], "d": s["d"], "title": str(s["m"].get("title", "music"))} for s in dr.segments(d, dr.AUDIO)
    ]
    cv: dict[str, Any] = d["cv"] if isinstance(d.get("cv"), dict) else {}
    return {
        "total": dr.total_ms(d), "video": video, "texts": texts, "music": music,
        "aspect": aspect_of(d), "fit": str(cv.get("fit", "crop")),
        "cx": dr._num(cv.get("cx"), 0.5), "cy": dr._num(cv.get("cy"), 0.5),
    }


def _index(edit: dict[str, Any], key: str, items: list[Any]) -> int:
    i = edit.get(key)
    if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(items):
        raise Refused("That part of the timeline is no longer there.", "时间线上已没有这一段。")
    return i


def _ms(edit: dict[str, Any], key: str) -> int:
    v = edit.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 24 * 3600 * 1000:
        raise Refused(f"A time is missing or out of range ({key}).", f"时间缺失或超出范围（{key}）。")
    return int(v)


def _unit(edit: dict[str, Any], key: str) -> float:
    v = edit.get(key, 0.5)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return 0.5
    return round(min(1.0, max(0.0, float(v))), 3)


def _trim(a: Applied, e: dict[str, Any], media: dict[str, dict[str, Any]]) -> None:
    vs = dr.segments(a.draft, dr.VIDEO)
    i = _index(e, "seg", vs)
    seg = vs[i]
    d = _ms(e, "d")
    if d < dr.MIN_SEGMENT_MS:
        raise Refused("A segment must last at least 0.1 s.", "每段至少0.1秒。")
    if seg["m"].get("still") or seg["m"].get("card") or not seg["m"].get("src"):
        seg["d"] = d
    else:
        start = _ms(e, "in")
        full = round(dr._num(media.get(seg["m"]["src"], {}).get("duration"), 0) * 1000)
        if full and start + round(d * dr.speed_of(seg)) > full + 50:
            raise Refused("That goes past the end of the footage.", "超出了素材的结尾。")
        seg["m"]["in"], seg["d"] = start, d
    a.say(f"Segment {i + 1} now {_s(seg['d'])} s.", f"第{i + 1}段现在{_s(seg['d'])}秒。")


def _split(a: Applied, e: dict[str, Any]) -> None:
    at = _ms(e, "at")
    vs = dr.segments(a.draft, dr.VIDEO)
    for i, seg in enumerate(vs):
        t0 = at - seg["st"]
        if dr.MIN_SEGMENT_MS <= t0 <= seg["d"] - dr.MIN_SEGMENT_MS:
            first, second = dr._source_piece(seg, 0, t0), dr._source_piece(seg, t0, seg["d"])
            if "tr" in seg["m"]:
                first["m"]["tr"] = seg["m"]["tr"]
            vs[i:i + 1] = [first, second]
            a.say(f"Split at {_s(at)} s.", f"已在{_s(at)}秒处分割。")
            return
    raise Refused("Put the playhead inside a segment to split it.", "请把播放头放在某一段中间再分割。")


def _delete(a: Applied, e: dict[str, Any]) -> None:
    vs = dr.segments(a.draft, dr.VIDEO)
    i = _index(e, "seg", vs)
    if len(vs) == 1:
        raise Refused("That would remove the whole video.", "这样会删除整个视频。")
    del vs[i]
    if i == 0:
        vs[0]["m"].pop("tr", None)
    a.say(f"Segment {i + 1} deleted.", f"已删除第{i + 1}段。")


def _text(a: Applied, e: dict[str, Any]) -> None:
    ts = dr.segments(a.draft, dr.TEXT)
    i = _index(e, "idx", ts)
    seg = ts[i]
    if e.get("remove") is True:
        del ts[i]
        a.say(f"Title {i + 1} removed.", f"已删除标题{i + 1}。")
        return
    text = e.get("text", seg["m"].get("text", ""))
    text = str(text).strip()[:MAX_TEXT]
    if not text:
        raise Refused("A title needs some words.", "标题不能为空。")
    st, d = _ms(e, "st"), _ms(e, "d")
    if d < dr.MIN_SEGMENT_MS:
        raise Refused("A title must last at least 0.1 s.", "标题至少显示0.1秒。")
    seg["m"]["text"], seg["st"], seg["d"] = text, st, d
    a.say(f'Title "{text}" at {_s(st)}-{_s(st + d)} s.', f"标题“{text}”在{_s(st)}-{_s(st + d)}秒。")


def _shape(a: Applied, e: dict[str, Any]) -> None:
    aspect = str(e.get("aspect", ""))
    if aspect not in dr.ASPECTS:
        raise Refused("The shape can be 9:16, 1:1 or 16:9.", "画面比例可以是9:16、1:1或16:9。")
    new = dr.set_canvas(a.draft, aspect, "crop")
    new["cv"]["cx"], new["cv"]["cy"] = _unit(e, "cx"), _unit(e, "cy")
    a.draft = new
    a.say(f"Shape {aspect}, cropped.", f"画面比例{aspect}（裁剪）。")


def apply(draft: Any, media: list[dict[str, Any]], edits: Any) -> Applied:
    """The draft after the page's edits, in order; ``Refused`` when one cannot be applied (nothing is)."""
    if not isinstance(edits, list) or not edits or len(edits) > MAX_EDITS:
        raise Refused("There is nothing to apply.", "没有可以应用的修改。")
    infos = {str(m.get("id")): m for m in media if isinstance(m, dict)}
    a = Applied(dr.ensure_footage(draft, media))
    for e in edits:
        if not isinstance(e, dict):
            raise Refused("An edit could not be read.", "无法读取修改。")
        op = e.get("op")
        if op == "trim":
            _trim(a, e, infos)
        elif op == "split":
            _split(a, e)
        elif op == "delete":
            _delete(a, e)
        elif op == "text":
            _text(a, e)
        elif op == "shape":
            _shape(a, e)
        else:
            raise Refused("An edit could not be read.", "无法读取修改。")
        dr.relayout(a.draft)
    total = dr.total_ms(a.draft)
    a.say(f"The video is now {_s(total)} s.", f"视频现在{_s(total)}秒。")
    return a
