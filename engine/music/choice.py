"""Which music an ``add_music`` / ``change_music`` edit puts under the video, and the sentence saying so.

A library track enters the draft as a media entry like an upload, its ``src`` naming the track
(``music:<file>``); the render finds its file through ``source_path``. An uploaded audio file wins when
the user says so ("the music I sent") or names no mood; with nothing uploaded and no mood, the default
mood (relaxed) is used."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import draft as dr
from . import moods as md
from .library import Library, Track

log = logging.getLogger(__name__)

LIBRARY_SRC = "music:"


def library_src(track: Track) -> str:
    return LIBRARY_SRC + track.file


def source_path(folder: Path, src: str) -> Path | None:
    """The file of a library track's ``src``, or None when ``src`` is not one or the file is gone."""
    if not src.startswith(LIBRARY_SRC):
        return None
    name = src[len(LIBRARY_SRC) :]
    if not name or Path(name).name != name or name.startswith("."):
        return None
    path = folder / name
    return path if path.is_file() else None


@dataclass(frozen=True)
class Chosen:
    """The media entry to put under the video (None: nothing could be chosen) and what to tell the user."""

    info: dict[str, Any] | None
    en: str
    zh: str


def _pct(vol: float) -> int:
    return round(vol * 100)


def _library_entry(track: Track) -> dict[str, Any]:
    return {
        "id": library_src(track),
        "filename": f"{track.title} ({md.name(track.mood, 'en')})",
        "file_type": "audio",
        "duration": track.seconds,
        "mood": track.mood,
    }


async def choose(
    name: str, args: dict[str, Any], draft: dr.Draft, media: list[dict[str, Any]], library: Library, vol: float
) -> Chosen:
    uploads = [m for m in media if m.get("file_type") == "audio"]
    mood = str(args["mood"]) if args.get("mood") in md.BY_KEY else None
    now = next(iter(dr.segments(draft, dr.AUDIO)), None)
    avoid: str | None = None
    if name == "add_music" and (args.get("source") == "upload" or (uploads and mood is None)):
        if not uploads:
            return Chosen(
                None,
                "I have no audio file from you: upload one (mp3, wav, m4a or aac), or name a mood "
                "(“add relaxed music”).",
                "还没有收到你的音频文件：请上传一个（mp3、wav、m4a 或 aac），或者说一种风格（“加轻松的音乐”）。",
            )
        u = uploads[-1]
        return Chosen(
            u,
            f"Background music {u.get('filename')} added at {_pct(vol)}%; it fades in and out and dips under speech.",
            f"已添加背景音乐 {u.get('filename')}，音量{_pct(vol)}%，开头淡入、结尾淡出，有人说话时自动压低。",
        )
    if name == "change_music" and now is not None:
        src = str(now["m"].get("src", ""))
        avoid = src[len(LIBRARY_SRC) :] if src.startswith(LIBRARY_SRC) else None
        mood = str(now["m"].get("mood")) if now["m"].get("mood") in md.BY_KEY else None
    try:
        track = await asyncio.to_thread(library.pick, mood, avoid)
    except (OSError, ValueError, subprocess.SubprocessError):
        log.warning("music library %s unavailable", library.folder, exc_info=True)
        track = None
    if track is None:
        return Chosen(
            None,
            "The music library is not available right now: upload an audio file for the background music.",
            "曲库暂时不可用：请上传一个音频文件作为背景音乐。",
        )
    if avoid is not None and track.file == avoid:
        return Chosen(None, "The music library has no other track.", "曲库里没有别的曲子了。")
    en_mood, zh_mood = md.name(track.mood, "en"), md.name(track.mood, "zh")
    miss_en = miss_zh = ""
    if name == "add_music" and mood is not None and mood not in track.moods:
        miss_en = f"The library has no {md.name(mood, 'en')} track, so here is another. "
        miss_zh = f"曲库里没有{md.name(mood, 'zh')}风格的曲子，换了一首别的。"
    if name == "change_music" and now is not None:
        return Chosen(
            _library_entry(track),
            f"Changed the music to “{track.title}” ({en_mood}, from the music library) at {_pct(vol)}%.",
            f"已换成《{track.name('zh')}》（{zh_mood}，来自曲库），音量{_pct(vol)}%。",
        )
    return Chosen(
        _library_entry(track),
        f"{miss_en}Background music “{track.title}” ({en_mood}, from the music library) added at {_pct(vol)}%; "
        "it fades in and out and dips under speech.",
        f"{miss_zh}已添加背景音乐《{track.name('zh')}》（{zh_mood}，来自曲库），音量{_pct(vol)}%，"
        "开头淡入、结尾淡出，有人说话时自动压低。",
    )
