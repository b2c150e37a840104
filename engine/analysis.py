"""Footage analysis in ONE ffmpeg decode pass at low resolution, and the pure choices made from it.

The pass prints, per 0.1 s: audio peak and RMS level (astats), and per video frame at 10 fps on a
320 px grey copy: the scene-change score and the mean absolute frame difference (scdet; the latter is
the motion measure). Cutting pauses uses the audio alone (an audio-only pass, ~150x realtime).
Highlights combine loudness, motion and shot-cut density, snap to shot cuts and keep time order.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .ffmpeg import find_ffmpeg, run

STEP = 0.1  # seconds per audio window
VIDEO_FPS = 10
CUT_SCORE = 12.0  # scdet score above which a frame starts a new shot
SILENCE_DB = -28.0  # peak below about 0.04 of full scale is quiet (auto-editor's default)
MIN_DB = -100.0


@dataclass
class Analysis:
    """Per-window features of one media file."""

    duration: float
    peak_db: list[float] = field(default_factory=list)  # per STEP seconds
    rms_db: list[float] = field(default_factory=list)
    motion: list[float] = field(default_factory=list)  # per video frame at VIDEO_FPS
    scene: list[float] = field(default_factory=list)
    cuts: list[float] = field(default_factory=list)
    has_video_features: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Analysis:
        return cls(**json.loads(text))

    def summary(self) -> dict:
        """What the session state shows of it."""
        return {
            "duration": self.duration,
            "cuts": [round(c, 2) for c in self.cuts[:200]],
            "silences": [[round(a, 2), round(b, 2)] for a, b in silences(self)[:200]],
            "loudness_db": round(_mean_db(self.rms_db), 1) if self.rms_db else None,
        }


def _parse_metadata(text: str, keys: dict[str, str]) -> dict[str, list[float]]:
    """Parse ``metadata=print`` output: frame lines with pts_time, then key=value lines."""
    out: dict[str, list[float]] = {name: [] for name in keys.values()}
    times: list[float] = []
    current: dict[str, float] = {}

    def flush() -> None:
        if times:
            for name, series in out.items():
                series.append(current.get(name, math.nan))

    for line in text.splitlines():
        if line.startswith("frame:"):
            flush()
            current = {}
            t = line.rsplit("pts_time:", 1)[-1].strip()
            try:
                times.append(float(t))
            except ValueError:
                times.append(times[-1] + STEP if times else 0.0)
        elif "=" in line:
            k, _, v = line.partition("=")
            name = keys.get(k.strip())
            if name:
                try:
                    f = float(v)
                except ValueError:
                    f = MIN_DB
                current[name] = f if math.isfinite(f) else MIN_DB
    flush()
    out["_t"] = times
    return out


def analysis_args(
    path: Path, out_dir: Path, *, video: bool, audio: bool, ffmpeg: str | None = None
) -> list[str]:
    args = [find_ffmpeg(ffmpeg), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"]
    if video:
        # the deblocking filter only polishes pixels we shrink to 320 px anyway: skipping it speeds decoding
        args += ["-skip_loop_filter", "all"]
    else:
        args += ["-vn"]
    args += ["-i", str(path)]
    parts, maps = [], []
    if video:
        vfile = (out_dir / "v.txt").as_posix()
        parts.append(
            f"[0:v:0]fps={VIDEO_FPS},scale=320:-2:flags=fast_bilinear,format=gray,"
            f"scdet=threshold={CUT_SCORE},metadata=mode=print:file={vfile}[vo]"
        )
        maps += ["-map", "[vo]"]
    if audio:
        afile = (out_dir / "a.txt").as_posix()
        parts.append(
            "[0:a:0]aformat=sample_fmts=flt:channel_layouts=mono,aresample=16000,"
            "asetnsamples=n=1600:p=0,astats=metadata=1:reset=1:measure_perchannel=none:"
            f"measure_overall=Peak_level+RMS_level,ametadata=mode=print:file={afile}[ao]"
        )
        maps += ["-map", "[ao]"]
    return args + ["-filter_complex", ";".join(parts), *maps, "-f", "null", "-"]


async def analyze(
    path: Path,
    duration: float,
    *,
    has_video: bool,
    has_audio: bool,
    video: bool = True,
    ffmpeg: str | None = None,
) -> Analysis:
    """Run the single analysis pass (``video=False``: audio only, for cutting pauses)."""
    want_video = video and has_video
    result = Analysis(duration=duration, has_video_features=want_video)
    if not want_video and not has_audio:
        return result
    with tempfile.TemporaryDirectory(prefix="nemobot-analysis-") as tmp:
        out_dir = Path(tmp)
        await run(
            analysis_args(path, out_dir, video=want_video, audio=has_audio, ffmpeg=ffmpeg),
            timeout=max(600.0, duration * 2),
        )
        if has_audio and (out_dir / "a.txt").exists():
            a = _parse_metadata(
                (out_dir / "a.txt").read_text(errors="replace"),
                {"lavfi.astats.Overall.Peak_level": "peak", "lavfi.astats.Overall.RMS_level": "rms"},
            )
            result.peak_db = [round(_finite(x), 2) for x in a["peak"]]
            result.rms_db = [round(_finite(x), 2) for x in a["rms"]]
        if want_video and (out_dir / "v.txt").exists():
            v = _parse_metadata(
                (out_dir / "v.txt").read_text(errors="replace"),
                {"lavfi.scd.mafd": "mafd", "lavfi.scd.score": "score"},
            )
            result.motion = [round(_finite(x, 0.0), 3) for x in v["mafd"]]
            result.scene = [round(_finite(x, 0.0), 3) for x in v["score"]]
            result.cuts = detect_cuts(result.scene)
    return result


def _finite(x: float, default: float = MIN_DB) -> float:
    return x if isinstance(x, float) and math.isfinite(x) else default


def detect_cuts(scores: Sequence[float], threshold: float = CUT_SCORE, min_gap: float = 0.5) -> list[float]:
    """Shot cuts (seconds) from per-frame scene scores at VIDEO_FPS."""
    cuts: list[float] = []
    for i, s in enumerate(scores):
        if i and s >= threshold:
            t = i / VIDEO_FPS
            if not cuts or t - cuts[-1] >= min_gap:
                cuts.append(round(t, 2))
    return cuts


def _mean_db(values: Sequence[float]) -> float:
    powers = [10 ** (v / 10) for v in values if v > MIN_DB]
    if not powers:
        return MIN_DB
    return 10 * math.log10(sum(powers) / len(values))


def silences(
    an: Analysis, threshold_db: float = SILENCE_DB, min_silence: float = 0.5, margin: float = 0.2
) -> list[tuple[float, float]]:
    """Spans (seconds) to cut as pauses: quiet runs of at least ``min_silence``, less ``margin`` at each
    end that touches sound (the start and end of the file need no margin)."""
    out: list[tuple[float, float]] = []
    n = len(an.peak_db)
    end_of_audio = min(an.duration, n * STEP) if an.duration else n * STEP
    i = 0
    while i < n:
        if an.peak_db[i] < threshold_db:
            j = i
            while j < n and an.peak_db[j] < threshold_db:
                j += 1
            a, b = i * STEP, min(j * STEP, end_of_audio)
            if b - a >= min_silence:
                ca = a + margin if i > 0 else 0.0
                cb = b - margin if j < n else max(b, an.duration)
                if cb - ca >= 0.1:
                    out.append((round(ca, 3), round(cb, 3)))
            i = j
        else:
            i += 1
    return out


def _per_second(values: Sequence[float], per_second: int, seconds: int, db: bool) -> list[float]:
    out = []
    for s in range(seconds):
        chunk = values[s * per_second : (s + 1) * per_second]
        if not chunk:
            out.append(MIN_DB if db else 0.0)
        elif db:
            out.append(_mean_db(chunk))
        else:
            out.append(sum(chunk) / len(chunk))
    return out


def _ranks(values: Sequence[float]) -> list[float]:
    """Percentile rank of each value in 0..1 (ties share the rank)."""
    if not values:
        return []
    order = sorted(values)
    n = len(order)
    import bisect

    return [bisect.bisect_left(order, v) / max(1, n - 1) for v in values]


def second_scores(an: Analysis) -> list[float]:
    """Interest of each second of footage, smoothed over 3 s: loudness above the footage's median
    (0.45, full marks 12 dB above it) and its rank (0.15), motion rank (0.25), shot-cut density (0.15)."""
    seconds = max(1, math.ceil(an.duration - 1e-6))
    loud = _per_second(an.rms_db, round(1 / STEP), seconds, db=True) if an.rms_db else [0.0] * seconds
    motion = _per_second(an.motion, VIDEO_FPS, seconds, db=False) if an.motion else [0.0] * seconds
    loud_r = _ranks(loud) if an.rms_db else [0.0] * seconds
    motion_r = _ranks(motion) if an.motion else [0.0] * seconds
    median = sorted(loud)[len(loud) // 2]
    peak = [min(1.0, max(0.0, (v - median) / 12.0)) if an.rms_db else 0.0 for v in loud]
    cut_density = [min(1.0, sum(1 for c in an.cuts if abs(c - (s + 0.5)) <= 2.0) / 2) for s in range(seconds)]
    raw = []
    for s in range(seconds):
        score = 0.45 * peak[s] + 0.15 * loud_r[s] + 0.25 * motion_r[s] + 0.15 * cut_density[s]
        if an.rms_db and loud[s] < SILENCE_DB - 12:
            score *= 0.2
        raw.append(score)
    return [sum(raw[max(0, s - 1) : s + 2]) / len(raw[max(0, s - 1) : s + 2]) for s in range(seconds)]


@dataclass
class Pick:
    source: int  # index into the analyses given
    start: float
    end: float
    score: float
    peak: float = 0.0


def pick_highlights(
    analyses: Sequence[Analysis], target: float, transition: float = 0.0, snap: float = 1.5
) -> list[Pick]:
    """Choose spans totalling ``target`` seconds (plus the transition overlaps): highest-scoring
    seconds first, a window around each, edges snapped to shot cuts inside or just outside it (so no
    shot flashes for a few frames), no overlaps, then time order."""
    total = sum(a.duration for a in analyses)
    if total <= 0:
        return []
    if total <= target + 0.5:
        return [Pick(i, 0.0, a.duration, 1.0) for i, a in enumerate(analyses) if a.duration > 0]
    n_seg = max(1, round(target / 6))
    seg_len = target / n_seg
    cands: list[tuple[float, int, int]] = []
    all_scores = [second_scores(a) for a in analyses]
    for i, sc in enumerate(all_scores):
        cands += [(v, i, s) for s, v in enumerate(sc)]
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    picks: list[Pick] = []
    got = 0.0
    for score, i, s in cands:
        if got - transition * max(0, len(picks) - 1) >= target - 0.05:
            break
        an, sc = analyses[i], all_scores[i]
        peak = min(s + 0.5, an.duration)
        if any(p.source == i and p.start - 0.5 <= peak <= p.end + 0.5 for p in picks):
            continue
        length = max(1.5, min(seg_len, target - got + transition * len(picks) + 1.0))
        # grow the moment while its neighbours stay at least half as interesting, up to the segment length
        left = right = s
        while right - left + 1 < length:
            grow_r = right + 1 < len(sc) and sc[right + 1] >= 0.5 * score
            grow_l = left > 0 and sc[left - 1] >= 0.5 * score
            if not grow_r and not grow_l:
                break
            if grow_r and (not grow_l or sc[right + 1] >= sc[left - 1]):
                right += 1
            else:
                left -= 1
        a, b = float(left), min(an.duration, float(right + 1))
        short = min(length, 2.5) - (b - a)
        if short > 0:  # a very short moment gets some context either side
            a, b = max(0.0, a - short / 2), min(an.duration, b + short / 2)
        b = min(b, a + length)
        near_a = [c for c in an.cuts if a - 0.5 <= c <= a + snap and c < peak - 0.5]
        near_b = [c for c in an.cuts if b - snap <= c <= b + 0.5 and c > peak + 0.5]
        if near_a:
            a = max(near_a)
        if near_b:
            b = min(near_b)
        for p in picks:  # no overlap with earlier picks of the same source
            if p.source == i and p.start < b and a < p.end:
                if peak >= p.end:
                    a = p.end
                else:
                    b = p.start
        if b - a < 1.0:
            continue
        picks.append(Pick(i, round(a, 3), round(b, 3), score, peak))
        got += b - a
    # picks less than a second apart become one segment (no transition inside a continuous moment)
    picks.sort(key=lambda p: (p.source, p.start))
    merged: list[Pick] = []
    for p in picks:
        last = merged[-1] if merged else None
        if last is not None and last.source == p.source and p.start - last.end < 1.0:
            last.end = max(last.end, p.end)
            if p.score > last.score:
                last.score, last.peak = p.score, p.peak
        else:
            merged.append(p)
    picks = merged
    # trim to the wanted length: shorten the longest pick on the side away from its peak (never below 1 s)
    excess = sum(p.end - p.start for p in picks) - transition * max(0, len(picks) - 1) - target
    while excess > 0.05 and picks:
        p = max(picks, key=lambda q: q.end - q.start)
        cut = min(excess, (p.end - p.start) - 1.0)
        if cut <= 0.01:
            break
        if p.end - p.peak >= p.peak - p.start:
            p.end = round(p.end - cut, 3)
        else:
            p.start = round(p.start + cut, 3)
        excess -= cut
    return picks
