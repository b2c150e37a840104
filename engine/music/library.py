"""The music library: a folder of tracks with a small index (``index.json``: file, title, moods in English
and Chinese, bpm, seconds, loudness). The tracks the engine makes itself (``synth.RECIPES``) are written
there at first use; an operator adds their own by dropping audio files in the folder, each with an
optional sidecar of the same name (``song.mp3`` + ``song.json``: ``{"title": "...", "title_zh": "...",
"moods": ["upbeat"], "bpm": 120}``). A track without a sidecar has the mood ``any``: it is picked when no
track has the mood asked for."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..ffmpeg import find_ffmpeg
from . import moods as md
from .loudness import normalise
from .synth import RECIPES, SR, Recipe, render

log = logging.getLogger(__name__)

VERSION = 1  # of the generated tracks: a new version makes them again
INDEX = "index.json"
AUDIO_EXTS = frozenset({"mp3", "m4a", "aac", "wav", "flac", "ogg", "opus"})
_LOUDNESS = re.compile(r"I:\s+(-?[\d.]+) LUFS")
_TRUE_PEAK = re.compile(r"True peak:\s+Peak:\s+(-?[\d.inf]+) dBFS")
_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Track:
    file: str  # its name in the library folder
    title: str
    title_zh: str
    moods: tuple[str, ...]  # keys of ``moods.MOODS``, or ("any",)
    seconds: float
    bpm: int | None = None
    lufs: float | None = None  # integrated loudness, measured when the track was made
    true_peak: float | None = None  # dBTP
    origin: str = "generated"  # or "operator"
    stamp: list[int] = field(default_factory=list)  # sizes and mtimes (ns) of the file and sidecar when indexed

    @property
    def mood(self) -> str:
        return self.moods[0] if self.moods else md.ANY

    def name(self, lang: str) -> str:
        return self.title_zh if lang == "zh" and self.title_zh else self.title

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["moods_zh"] = [md.name(m, "zh") for m in self.moods]
        return out

    @staticmethod
    def from_json(d: dict[str, Any]) -> Track:
        return Track(
            str(d["file"]),
            str(d.get("title") or d["file"]),
            str(d.get("title_zh") or ""),
            tuple(str(m) for m in d.get("moods") or (md.ANY,)),
            float(d.get("seconds") or 0),
            int(d["bpm"]) if d.get("bpm") else None,
            float(d["lufs"]) if d.get("lufs") is not None else None,
            float(d["true_peak"]) if d.get("true_peak") is not None else None,
            str(d.get("origin") or "operator"),
            [int(x) for x in d.get("stamp") or []],
        )


def _stamp(path: Path) -> list[int]:
    """Size and modification time of a file, and of its sidecar when it has one: a change re-indexes."""
    out = []
    for p in (path, path.with_suffix(".json")):
        if p.exists():
            st = p.stat()
            out += [st.st_size, st.st_mtime_ns]
    return out


def generated_file(recipe: Recipe) -> str:
    return f"nemobot-{recipe.key}.flac"


def make_track(recipe: Recipe, folder: Path, ffmpeg: str) -> Track:
    """Synthesise one track, write it as FLAC (16-bit, dithered) and measure it with ffmpeg's ebur128."""
    spec = render(recipe)
    n = SR * 60 // recipe.bpm * 4 * recipe.bars
    x = normalise(spec, n)
    rng = np.random.default_rng(1)
    dither = (rng.random(x.shape) - rng.random(x.shape)) / 32768
    pcm = np.clip(np.round((x + dither) * 32767), -32768, 32767).astype("<i2").T.tobytes()
    name = generated_file(recipe)
    tmp = folder / f".{name}.tmp.flac"
    done = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostats", "-y", "-f", "s16le", "-ar", str(SR), "-ac", "2", "-i", "pipe:0",
         "-af", "ebur128=peak=true:framelog=quiet", "-c:a", "flac", str(tmp)],
        input=pcm, capture_output=True, timeout=120, check=False,
    )
    err = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise OSError(f"ffmpeg could not write {name}: {err[-300:]}")
    tmp.replace(folder / name)
    lufs = _LOUDNESS.findall(err)
    peak = _TRUE_PEAK.search(err)
    return Track(
        name, recipe.title, recipe.title_zh, recipe.moods, round(n / SR, 3), recipe.bpm,
        float(lufs[-1]) if lufs else None, float(peak.group(1)) if peak else None, "generated",
        _stamp(folder / name),
    )


def _operator_track(path: Path, ffmpeg: str) -> Track | None:
    """An audio file the operator dropped in the folder, described by its sidecar if it has one."""
    meta: dict[str, Any] = {}
    side = path.with_suffix(".json")
    if side.exists():
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("music library: %s is not JSON; %s gets the mood 'any'", side.name, path.name)
        if not isinstance(meta, dict):
            meta = {}
    done = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True, timeout=60, check=False)
    m = _DURATION.search(done.stderr.decode("utf-8", "replace"))
    if m is None:
        log.warning("music library: %s is not audio ffmpeg can read", path.name)
        return None
    seconds = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    moods = tuple(k for k in (str(x).lower() for x in meta.get("moods") or ()) if k in md.BY_KEY) or (md.ANY,)
    bpm = meta.get("bpm")
    return Track(
        path.name, str(meta.get("title") or path.stem), str(meta.get("title_zh") or ""), moods,
        round(seconds, 3), int(bpm) if isinstance(bpm, int | float) else None, origin="operator",
        stamp=_stamp(path),
    )


class Library:
    """The tracks of one folder; made and indexed at first use (thread-safe; call from a worker thread)."""

    def __init__(self, folder: Path, ffmpeg: str | None = None) -> None:
        self.folder = folder
        self._ffmpeg = ffmpeg
        self._lock = threading.Lock()

    def path(self, track: Track) -> Path:
        return self.folder / track.file

    def tracks(self) -> list[Track]:
        """Every track, the generated ones first; makes what is missing and re-indexes what changed."""
        with self._lock:
            return self._refresh()

    def _read_index(self) -> tuple[int, dict[str, Track]]:
        try:
            data = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
            return int(data.get("version", 0)), {t["file"]: Track.from_json(t) for t in data["tracks"]}
        except (OSError, ValueError, KeyError, TypeError):
            return 0, {}

    def _refresh(self) -> list[Track]:
        self.folder.mkdir(parents=True, exist_ok=True)
        version, known = self._read_index()
        ffmpeg = find_ffmpeg(self._ffmpeg)
        def current(recipe: Recipe) -> Track | None:
            t, p = known.get(generated_file(recipe)), self.folder / generated_file(recipe)
            return t if version == VERSION and t is not None and p.exists() and t.stamp == _stamp(p) else None

        missing = [r for r in RECIPES if current(r) is None]
        with ThreadPoolExecutor(max_workers=2) as pool:  # numpy's FFTs and ffmpeg run outside the GIL
            made_now = dict(zip(missing, pool.map(lambda r: make_track(r, self.folder, ffmpeg), missing),
                                strict=True))
        for made_one in made_now.values():
            log.info("music library: made %s (%s LUFS, %s dBTP)", made_one.file, made_one.lufs, made_one.true_peak)
        changed = bool(made_now)
        out = [t for t in (made_now.get(r) or current(r) for r in RECIPES) if t is not None]
        made = {t.file for t in out}
        for p in sorted(self.folder.iterdir()):
            if p.name in made or p.name.startswith(".") or p.suffix.lower().lstrip(".") not in AUDIO_EXTS:
                continue
            track = known.get(p.name)
            if track is None or track.stamp != _stamp(p):
                track = _operator_track(p, ffmpeg)
                changed = True
            if track is not None:
                out.append(track)
        if changed or set(known) != {t.file for t in out}:
            body = {"version": VERSION, "tracks": [t.to_json() for t in out]}
            tmp = self.folder / f".{INDEX}.tmp"
            tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
            tmp.replace(self.folder / INDEX)
        return out

    def pick(self, mood: str | None, avoid: str | None = None) -> Track | None:
        """A track of ``mood`` (None: the default), another than ``avoid`` (a file name) where there is
        one: the next after ``avoid`` in the index, so asking again goes round them all."""
        return choose(self.tracks(), mood, avoid)


def choose(tracks: Sequence[Track], mood: str | None, avoid: str | None = None) -> Track | None:
    """The pick, pure: tracks of the mood, else the operator's mood-less ones, else all; then the one
    after ``avoid``; with ``avoid`` and no other of the mood, the next track of any mood."""
    if not tracks:
        return None
    want = mood or md.DEFAULT
    pool = [t for t in tracks if want in t.moods] or [t for t in tracks if md.ANY in t.moods] or list(tracks)
    if avoid is not None and not [t for t in pool if t.file != avoid]:
        pool = list(tracks)  # "another one" when the mood has only this one: go round the whole library
    if avoid is None:
        return pool[0]
    files = [t.file for t in tracks]
    at = files.index(avoid) if avoid in files else -1
    order = sorted(pool, key=lambda t: (files.index(t.file) - at - 1) % len(files))
    return next((t for t in order if t.file != avoid), None)
