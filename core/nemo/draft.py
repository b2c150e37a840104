"""The short-key draft (timeline): parsed defensively, summarised, compared.

Known keys: ``t`` tracks, ``tt`` track type (0 video, 1 audio, 7 text), ``sg`` segments,
``d`` duration in ms, ``m`` metadata, ``st`` timeline start in ms. Everything else is kept in
``raw``; a draft we do not understand never raises, it just summarises less.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
# text segments that are the words spoken (``m.kind``): captions timed to the speech, subtitles from a file
CAPTION_KINDS = frozenset({"caption", "subtitle"})


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if not math.isnan(value) and abs(value) < 1e15 else None
    if isinstance(value, str):
        try:
            return _num(float(value))
        except ValueError:
            return None
    return None


def _first(meta: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in meta and meta[key] not in (None, ""):
            return meta[key]
    return None


_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _one_line(text: str) -> str:
    """A text's lines as one (a two-line caption in a list): a space between Latin words, none between
    Chinese characters."""
    out = ""
    for line in (ln.strip() for ln in text.splitlines()):
        if line:
            out += " " if out and not (_CJK.match(out[-1]) or _CJK.match(line[0])) else ""
            out += line
    return out


@dataclass(frozen=True, slots=True)
class Segment:
    start_ms: float
    duration_ms: float
    meta: Mapping[str, Any]

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.duration_ms

    @property
    def label(self) -> str:
        value = _first(self.meta, "text", "title", "name", "filename", "src")
        return _one_line(str(value))[:80] if value is not None else ""

    @property
    def is_caption(self) -> bool:
        """Words spoken in the video (a caption or a subtitle line), not a title."""
        return self.meta.get("kind") in CAPTION_KINDS

    @property
    def volume(self) -> float | None:
        return _num(_first(self.meta, "vol", "volume"))

    @property
    def speed(self) -> float:
        """How fast it plays its source (``m.speed``), 1 when unsaid or not a sane number."""
        value = _num(self.meta.get("speed"))
        return value if value is not None and 0 < value < 1000 else 1.0

    @property
    def source_in(self) -> float | None:
        """Where in its file it starts (``m.in``, ms), when the draft says."""
        return _num(self.meta.get("in"))

    def span(self) -> str:
        return f"{_seconds(self.start_ms)}-{_seconds(self.end_ms)}s"


@dataclass(frozen=True, slots=True)
class Track:
    kind: int | None
    segments: tuple[Segment, ...]


def text_track_kind(track: Track) -> str:
    """What a text track holds, as a user would name it: ``captions`` (only captions and subtitles),
    ``titles`` (none) or ``mixed``."""
    captions = sum(1 for seg in track.segments if seg.is_caption)
    return "titles" if captions == 0 else "captions" if captions == len(track.segments) else "mixed"


@dataclass(frozen=True, slots=True)
class Draft:
    tracks: tuple[Track, ...]
    raw: Any

    @classmethod
    def parse(cls, raw: Any) -> Draft:
        """Read whatever came back; never raises."""
        tracks: list[Track] = []
        raw_tracks = raw.get("t") if isinstance(raw, Mapping) else None
        for raw_track in raw_tracks if isinstance(raw_tracks, list) else []:
            if not isinstance(raw_track, Mapping):
                continue
            kind = _num(raw_track.get("tt"))
            segments: list[Segment] = []
            cursor = 0.0
            raw_segments = raw_track.get("sg")
            for raw_seg in raw_segments if isinstance(raw_segments, list) else []:
                if not isinstance(raw_seg, Mapping):
                    continue
                raw_meta = raw_seg.get("m")
                meta: Mapping[str, Any] = raw_meta if isinstance(raw_meta, Mapping) else {}
                duration = _num(raw_seg.get("d"))
                if duration is None:
                    duration = _num(meta.get("d")) or 0.0
                start = _num(raw_seg.get("st"))
                if start is None:
                    start = _num(meta.get("st"))
                start = cursor if start is None else start
                segments.append(Segment(max(start, 0.0), max(duration, 0.0), meta))
                cursor = start + duration
            tracks.append(Track(int(kind) if kind is not None else None, tuple(segments)))
        return cls(tuple(tracks), raw)

    @property
    def ready(self) -> bool:
        """A draft can be exported when a track has a segment."""
        return any(track.segments for track in self.tracks)

    @property
    def duration_ms(self) -> float:
        return max((seg.end_ms for track in self.tracks for seg in track.segments), default=0.0)

    def joined(self) -> Draft:
        """The draft as a user thinks of it: each track's pieces that go on one from the other joined
        back into one segment (see ``joined_pieces``); ``raw`` stays what NEMO sent."""
        return Draft(tuple(Track(t.kind, tuple(joined_pieces(t.segments))) for t in self.tracks), self.raw)


PIECE_SLACK_MS = 2  # pieces cut from one segment meet within rounding


def _continues(a: Segment, b: Segment) -> bool:
    """Does ``b`` go on where ``a`` stops: the same file in the same direction at the same speed (all
    its metadata but where it starts in the file is the same, and no transition into it), next on the
    timeline, and next in the file (before it, for pieces played backwards)?"""
    a_in, b_in = a.source_in, b.source_in
    if a_in is None or b_in is None or "tr" in b.meta:
        return False
    if {k: v for k, v in a.meta.items() if k != "in"} != {k: v for k, v in b.meta.items() if k != "in"}:
        return False
    if abs(a.end_ms - b.start_ms) > PIECE_SLACK_MS:
        return False
    if a.meta.get("rev"):  # backwards: ``b`` plays the part of the file just before ``a``'s
        return abs(b_in + b.duration_ms * b.speed - a_in) <= PIECE_SLACK_MS
    return abs(a_in + a.duration_ms * a.speed - b_in) <= PIECE_SLACK_MS


def joined_pieces(segments: Sequence[Segment]) -> list[Segment]:
    """The segments as a user thinks of them: pieces that go on one from the other (a reversed clip is
    played in 5-second pieces) joined back into one range."""
    out: list[Segment] = []
    for seg in segments:
        if out and _continues(out[-1], seg):
            last = out[-1]
            start_in = min(last.source_in or 0.0, seg.source_in or 0.0)
            out[-1] = Segment(last.start_ms, seg.end_ms - last.start_ms, {**last.meta, "in": start_in})
        else:
            out.append(seg)
    return out


def _seconds(ms: float) -> str:
    value = round(ms / 1000, 1)
    return str(int(value)) if value == int(value) else str(value)


PICKED = "pick"  # in a video segment's ``m``: a moment a highlight reel picked (the local engine marks them)
EFFECTS = "fx"  # the local engine's whole-video effects table (look, rotation, fades ...)
EFFECT_MS = frozenset({"fade_in", "fade_out", "afade_in", "afade_out"})  # effects whose value is ms
HIDDEN_KEYS = frozenset({"src"})  # file ids: meaningless to a user
SETTING_DEFAULTS = {"out": "mp4"}  # what an absent top-level setting means


def percent(volume: float) -> int:
    """A volume as a percentage: 0.35 and 35 both mean 35%."""
    return round(volume * 100 if volume <= 1 else volume)


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two drafts, for the user: ``added text 'Urban Dreams' 0-3s``."""

    verb: str  # "added" | "removed" | "changed"
    kind: int | None
    label: str
    span: str
    was: str = ""  # the previous span, when a segment moved
    volume: int | None = None  # the new volume in percent, when only that changed
    value: str = ""  # the new value of a top-level setting (``cv`` canvas: ``1080x1920``)


def _key(kind: int | None, seg: Segment) -> tuple[Any, ...]:
    return (kind, seg.label)


def draft_changes(before: Draft, after: Draft) -> list[Change]:
    """What changed between two drafts, segment by segment (matched by track type and label)."""
    old = [(track.kind, seg) for track in before.joined().tracks for seg in track.segments]
    new = [(track.kind, seg) for track in after.joined().tracks for seg in track.segments]
    changes: list[Change] = []
    unmatched_old = list(old)
    for kind, seg in new:
        match = next((o for o in unmatched_old if _key(*o) == _key(kind, seg)), None)
        if match is None:
            changes.append(Change("added", kind, seg.label, seg.span()))
            continue
        unmatched_old.remove(match)
        old_seg = match[1]
        if old_seg.span() != seg.span():
            changes.append(Change("changed", kind, seg.label, seg.span(), was=old_seg.span()))
        elif old_seg.volume != seg.volume and seg.volume is not None:
            changes.append(Change("changed", kind, seg.label, seg.span(), volume=percent(seg.volume)))
        elif dict(old_seg.meta) != dict(seg.meta):
            changes.append(Change("changed", kind, seg.label, seg.span()))
    for kind, seg in unmatched_old:
        changes.append(Change("removed", kind, seg.label, seg.span()))
    old_rest = _extras(before.raw)
    new_rest = _extras(after.raw)
    for key in sorted(set(old_rest) | set(new_rest)):
        if key == EFFECTS:
            changes += _effect_changes(old_rest.get(key), new_rest.get(key))
        elif old_rest.get(key) != new_rest.get(key):
            value = new_rest.get(key, SETTING_DEFAULTS.get(key))
            changes.append(Change("changed", None, key, "", value=_short(value)))
    return changes


def _effect_changes(before: Any, after: Any) -> list[Change]:
    """One change per effect switched on, off or altered; labelled ``fx.<name>``."""
    old = dict(before) if isinstance(before, Mapping) else {}
    new = dict(after) if isinstance(after, Mapping) else {}
    out = []
    for name in sorted(set(old) | set(new)):
        if old.get(name) == new.get(name):
            continue
        verb = "added" if name not in old else "removed" if name not in new else "changed"
        value = "" if verb == "removed" else _effect_value(name, new[name])
        out.append(Change(verb, None, f"{EFFECTS}.{name}", "", value=value))
    return out


def _effect_value(name: str, value: Any) -> str:
    if value is True:
        return ""
    if name in EFFECT_MS and _num(value) is not None:
        return f"{_seconds(_num(value) or 0)}s"
    return _short(value)


def effects_summary(draft: Draft) -> list[tuple[str, str]]:
    """The draft's canvas (``cv``, as ``9:16``), its whole-video effects as (name, value) pairs, and the
    export format if not MP4."""
    raw = draft.raw if isinstance(draft.raw, Mapping) else {}
    canvas = raw.get("cv")
    pairs = [("cv", _short(canvas))] if isinstance(canvas, Mapping) and "w" in canvas and "h" in canvas else []
    fx = raw.get(EFFECTS)
    pairs += [(k, _effect_value(k, v)) for k, v in fx.items()] if isinstance(fx, Mapping) else []
    out = raw.get("out")
    if isinstance(out, Mapping) and out.get("format"):
        pairs.append(("out", str(out["format"])))
    return pairs


def _aspect(width: Any, height: Any) -> str:
    """A canvas as people say it (``9:16``), or its size (``1000x1234``) when that is no usual shape."""
    w, h = _num(width), _num(height)
    if w and h and w == int(w) and h == int(h) and w > 0 and h > 0:
        div = math.gcd(int(w), int(h))
        if max(w, h) / div <= 21:
            return f"{int(w) // div}:{int(h) // div}"
    return f"{width}x{height}"


def _extras(raw: Any) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != "t"} if isinstance(raw, Mapping) else {}


def _short(value: Any) -> str:
    if isinstance(value, Mapping):
        if "w" in value and "h" in value:
            return _aspect(value.get("w"), value.get("h"))
        if "format" in value:
            return str(value["format"])
        shown = [(k, v) for k, v in value.items() if k not in HIDDEN_KEYS]
        return ", ".join(f"{k}={v}" for k, v in shown[:4])
    return str(value)[:60]
