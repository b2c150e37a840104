"""The caption operations that need I/O: typed words timed to the speech (``engine.speech.align``), words from
the speech (``engine.speech.transcribe``, refused honestly when it is unsure), and the ``.srt`` handed out as
a signed link. The draft edits themselves are pure (``engine.effects``, ``engine.captions``)."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import captions as cap
from . import draft as dr
from . import effects as ef
from .settings import EngineSettings
from .store import Store

SRT_PREFIX = "captions-"


@dataclass(frozen=True)
class Done:
    ok: bool
    en: str
    zh: str
    draft: dr.Draft | None = None
    extra: dict[str, Any] = field(default_factory=dict)


TYPED_OFFER_EN = "Say “captions: …” with your words and I will time them to your speech."
TYPED_OFFER_ZH = "请说“字幕：……”加上你说的原话，我会把它们对上你说话的时间。"
NO_BACKEND = (
    "I can't write down this speech reliably here: no speech recogniser for its language is set up, and I won't "
    "burn guessed words into your video. " + TYPED_OFFER_EN,
    "这里没法可靠地识别这段语音（没有配置这种语言的语音识别），我不会把猜测的文字烧进你的视频。" + TYPED_OFFER_ZH,
)
UNSURE = (
    "I couldn't make out the words clearly enough (the speech is unclear, noisy or not in English), and I won't "
    "burn guessed words into your video. " + TYPED_OFFER_EN,
    "我没能听清这段话（语音不清楚、有噪音，或者不是英语），不会把猜测的文字烧进你的视频。" + TYPED_OFFER_ZH,
)


def _sources(d: dr.Draft) -> list[str]:
    """The files the video track shows with their sound, the one shown longest first."""
    shown: dict[str, int] = {}
    for s in dr.segments(d, dr.VIDEO):
        m = s["m"]
        if m.get("src") and not (m.get("still") or m.get("card")):
            shown[str(m["src"])] = shown.get(str(m["src"]), 0) + s["d"]
    return sorted(shown, key=lambda k: -shown[k])


def _timed(words: Sequence[Any]) -> list[cap.TimedWord]:
    return [cap.TimedWord(str(w.text), round(w.start * 1000), round(w.end * 1000)) for w in words if str(w.text).strip()]


WHOLE_SLACK_MS = 100  # a kept range this close to the file's ends is the whole file


def kept_ranges(d: dr.Draft, src: str) -> list[tuple[int, int]]:
    """The parts of file ``src`` (source ms) the video track plays forwards, merged, in file order."""
    spans = []
    for s in dr.segments(d, dr.VIDEO):
        m = s["m"]
        if m.get("src") != src or m.get("still") or m.get("card") or m.get("rev"):
            continue
        a = dr._int(m.get("in"), 0)
        spans.append((a, a + round(s["d"] * dr.speed_of(s))))
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        elif b > a:
            merged.append((a, b))
    return merged


def to_source_ms(t: float, ranges: Sequence[tuple[int, int]]) -> int:
    """A time in the kept parts played one after the other (seconds) as a time in the file (ms)."""
    ms, offset = t * 1000, 0
    for a, b in ranges:
        if ms <= offset + (b - a):
            return round(a + ms - offset)
        offset += b - a
    return ranges[-1][1] if ranges else round(ms)


async def align_kept(
    path: Path, text: str, language: str, ranges: Sequence[tuple[int, int]], full_ms: int, ffmpeg_bin: str | None
) -> tuple[list[cap.TimedWord], bool]:
    """Typed ``text`` timed to the speech in the kept ``ranges`` of the file only (the part the timeline plays),
    so words land where they are spoken in that part; times in source ms. Also: whether the timing is trusted."""
    from . import speech
    from .speech.audio import BYTES_PER_SECOND, SAMPLE_RATE, pcm16k

    whole = len(ranges) == 1 and ranges[0][0] <= WHOLE_SLACK_MS and ranges[0][1] >= full_ms - WHOLE_SLACK_MS
    if whole or not ranges:
        tr = await speech.align(path, text, language, ffmpeg_bin=ffmpeg_bin)
        return _timed(tr.words), tr.trustworthy
    pcm = await pcm16k(path, ffmpeg_bin=ffmpeg_bin)

    def at(ms: int) -> int:
        return min(len(pcm), ms * BYTES_PER_SECOND // 1000 // 2 * 2)

    kept = b"".join(pcm[at(a) : at(b)] for a, b in ranges)
    with tempfile.TemporaryDirectory(prefix="captions-") as tmp:
        wav = Path(tmp) / "kept.wav"

        def write() -> None:
            with wave.open(str(wav), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(SAMPLE_RATE)
                out.writeframes(kept)

        await asyncio.to_thread(write)
        tr = await speech.align(wav, text, language, ffmpeg_bin=ffmpeg_bin)
    words = []
    for w in tr.words:
        if str(w.text).strip():
            start = to_source_ms(w.start, ranges)
            words.append(cap.TimedWord(str(w.text), start, max(start, to_source_ms(w.end, ranges))))
    return words, tr.trustworthy


async def make_captions(
    args: dict[str, Any], d: dr.Draft, store: Store, settings: EngineSettings, lang: str
) -> Done:
    from . import speech
    from .speech.transcript import is_cjk

    karaoke = args.get("karaoke")
    karaoke = None if karaoke is None else bool(karaoke)
    records = [r for r in [await store.get_file(f) for f in _sources(d)] if r is not None and r.path.exists()]
    records = [r for r in records if r.info.get("has_audio", True)]
    if not records:
        return Done(False, "This video has no sound to caption.", "这个视频没有声音，无法加字幕。")
    text = str(args.get("text") or "").strip()
    by_source: list[tuple[str, list[cap.CaptionCue]]] = []
    guessed = False
    if text:
        rec = records[0]
        language = "zh" if is_cjk(text) else "en"
        full_ms = round(float(rec.info.get("duration") or 0) * 1000)
        timed, trusted = await align_kept(rec.path, text, language, kept_ranges(d, rec.id), full_ms, settings.ffmpeg)
        guessed = not trusted
        by_source.append((rec.id, cap.cues(timed)))
    else:
        hint = "zh" if lang == "zh" else None
        for rec in records:
            heard = await speech.transcribe(rec.path, hint, settings)
            if heard is None:
                return Done(False, *NO_BACKEND, extra={"refused": "no_backend"})
            if not heard.trustworthy or not heard.words:
                return Done(False, *UNSURE, extra={"refused": "unsure", "backend": heard.backend})
            by_source.append((rec.id, cap.cues(_timed(heard.words))))
    new = ef.set_captions(d, by_source, karaoke)
    n = len(ef.caption_segments(new))
    if n == 0:
        return Done(
            False,
            "None of that speech is on the timeline now, so there is nothing to caption.",
            "时间线上没有这段语音，无法加字幕。",
        )
    how_en = " (word by word)" if cap.style_of(ef.effects(new))["karaoke"] else ""
    how_zh = "（逐字高亮）" if cap.style_of(ef.effects(new))["karaoke"] else ""
    if text:
        en = f"Added {n} caption{'s' if n != 1 else ''}{how_en} timed to your speech."
        zh = f"已添加{n}条字幕{how_zh}，按说话的时间对齐。"
        if guessed:
            en += " I could not hear clear speech, so the words are spread evenly over the clip."
            zh += "没有听到清楚的语音，文字按时长平均分布。"
    else:
        en = (
            f"Added {n} caption{'s' if n != 1 else ''}{how_en} from your speech. To fix a word, say "
            "“change 'teh' to 'the' in the captions”."
        )
        zh = f"已根据语音添加{n}条字幕{how_zh}。要改错字，请说“字幕里的X改成Y”。"
    return Done(True, en, zh, new, {"captions": n})


async def export_srt(d: dr.Draft, directory: Path, public_url: Callable[[str], str] | None) -> Done:
    """The timeline's captions (and subtitles) as a SubRip file, handed out as a signed link."""
    segs = [s for s in dr.segments(d, dr.TEXT) if s["m"].get("kind") in (cap.KIND, "subtitle")]
    if not segs:
        from .effect_ops import NO_CAPTIONS

        return Done(False, *NO_CAPTIONS)
    name = f"{SRT_PREFIX}{uuid.uuid4().hex[:16]}.srt"
    directory.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread((directory / name).write_text, cap.srt(segs), encoding="utf-8")
    path = f"/files/renders/{name}"
    url = public_url(path) if public_url is not None else path
    n = len(segs)
    return Done(
        True,
        f"Here is the subtitles file ({n} line{'s' if n != 1 else ''}, .srt): {url}",
        f"字幕文件（{n}条，.srt）：{url}",
        None,
        {"url": url, "lines": n},
    )
