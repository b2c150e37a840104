"""``PictureMaker``: the pictures the bot sends, made from the draft and the media, cached, and never in
the way: every method returns ``None`` (and logs why) when a picture cannot be made, so the text answer
always goes out.

Frames come from one ffmpeg run per picture (``frames.grab``); without ffmpeg the timeline still draws,
with labelled blocks where thumbnails would be, and there is no contact sheet.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import ssl
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx
from PIL import Image

from core.media.probe import probe
from core.nemo.draft import AUDIO, VIDEO, Draft
from core.pictures.draw import encode
from core.pictures.frames import GRAB_TIMEOUT, FrameAt, FramesUnavailable, grab
from core.pictures.sheet import (
    LOUDNESS_BUCKETS,
    cell_size,
    columns_for,
    contact_sheet,
    distinct,
    exact_frames,
    frame_times,
)
from core.pictures.strip import cell_size as strip_cell
from core.pictures.strip import highlights_strip, picked_moments
from core.pictures.timeline import SegmentKey, filmstrips, music_window, timeline_picture
from core.ports import Picture

log = logging.getLogger(__name__)

THUMB_BOX = (192, 108)
POSTER_BOX = (320, 320)  # Telegram's limit for a video's thumbnail
POSTER_AT = 1 / 3  # of the video: past a fade-in or a title card
MUSIC_BUCKETS = 400
CACHE_SIZE = 64
# the loudness strip needs the whole file's audio, and ffmpeg reads a whole MP4 to get it: over a link
# only for files up to this size (frames need only a few ranges); a bigger file's sheet has no strip
REMOTE_LOUDNESS_MAX = 64 * 1024 * 1024
SIZE_TIMEOUT = 5.0

K = TypeVar("K")
V = TypeVar("V")


class _Cache(OrderedDict[K, V]):
    """A small least-recently-used map."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def take(self, key: K) -> V | None:
        if key in self:
            self.move_to_end(key)
            return self[key]
        return None

    def keep(self, key: K, value: V) -> V:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every size check: building one loads the CA bundle, about 50 ms of CPU on
    the event loop, which a client per call paid on every upload."""
    return httpx.create_ssl_context()


def _remote(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def size_of(source: str) -> int | None:
    """The size of a file or a link (its Content-Length), ``None`` when it cannot be told."""
    if not _remote(source):
        try:
            return (await asyncio.to_thread(Path(source).stat)).st_size
        except OSError:
            return None
    try:
        async with httpx.AsyncClient(timeout=SIZE_TIMEOUT, follow_redirects=True, verify=_tls()) as client:
            response = await client.head(source)
    except httpx.HTTPError:
        return None
    length = response.headers.get("content-length", "")
    return int(length) if response.status_code < 400 and length.isdigit() else None


def _draft_key(draft: Draft) -> str:
    raw = json.dumps(draft.raw, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


class PictureMaker:
    """Makes and caches pictures; ``sources`` map a media name in the draft to the user's own upload."""

    def __init__(self, ffmpeg: str | None = None, cache_size: int = CACHE_SIZE,
                 timeout: float = GRAB_TIMEOUT) -> None:
        self.ffmpeg = ffmpeg
        self.timeout = timeout
        self._pictures: _Cache[tuple[str, ...], Picture] = _Cache(cache_size)
        self._frames: _Cache[tuple[str, float, tuple[int, int]], Image.Image] = _Cache(cache_size * 8)
        self._loudness: _Cache[str, tuple[list[float], float]] = _Cache(cache_size)  # values, seconds

    async def contact_sheet(self, source: str, name: str, lang: str) -> Picture | None:
        """The footage at a glance: frames with their times, duration, size, loudness."""

        async def make() -> Picture:
            info, size = await asyncio.gather(probe(source, self.ffmpeg, timeout=self.timeout), size_of(source))
            times = frame_times(info.duration, info.file_type)
            box = cell_size(info, columns_for(len(times)))
            exact = exact_frames(info.duration, len(times))
            wanted = [FrameAt(source, t, box, exact) for t in times]
            loud = info.has_audio and (not _remote(source) or (size is not None and size <= REMOTE_LOUDNESS_MAX))
            got = await grab(wanted, loudness_of=source if loud else None, buckets=LOUDNESS_BUCKETS if loud else 0,
                             ffmpeg=self.ffmpeg, timeout=self.timeout)
            frames, times = distinct(got.frames, got.times)
            return await asyncio.to_thread(
                lambda: encode(contact_sheet(name, info, frames, times, got.loudness, lang)[0], "footage"))

        return await self._cached(("sheet", source, name, lang), make, f"contact sheet of {name}")

    async def timeline(self, draft: Draft, lang: str, sources: Mapping[str, str] | None = None) -> Picture | None:
        """The timeline drawn; thumbnails where ``sources`` has the segment's file, labelled blocks elsewhere.
        A clip played in pieces (a reversed one) is drawn as the one segment it is to the user."""
        known = dict(sources or {})
        draft = draft.joined()

        async def make() -> Picture:
            thumbs, loudness = await self._timeline_media(draft, known)
            return await asyncio.to_thread(
                lambda: encode(timeline_picture(draft, lang, thumbs, loudness)[0], "timeline"))

        key = ("timeline", _draft_key(draft), lang, json.dumps(sorted(known.items())))
        return await self._cached(key, make, "timeline picture")

    async def highlights(self, draft: Draft, lang: str, sources: Mapping[str, str] | None = None,
                         reel: bool = False) -> Picture | None:
        """The moments a reel picked, with their times; ``None`` when the draft is not a reel (``reel``: it
        is one, though its segments are not marked; see ``picked_moments``)."""
        moments = picked_moments(draft, reel)
        if not moments:
            return None
        known = dict(sources or {})

        async def make() -> Picture:
            wanted = {i: (known[m.name], m.middle) for i, m in enumerate(moments) if m.name in known}
            found = await self._frames_for(wanted, strip_cell())
            frames = [found.get(i) for i in range(len(moments))]
            return await asyncio.to_thread(lambda: encode(highlights_strip(moments, frames, lang)[0], "highlights"))

        key = ("highlights", _draft_key(draft), lang, json.dumps(sorted(known.items())), str(reel))
        return await self._cached(key, make, "highlights picture")

    async def poster(self, video: str, duration: float | None = None) -> Picture | None:
        """A frame a third into the finished video, as a JPEG within Telegram's thumbnail limits."""

        async def make() -> Picture | None:
            seconds = duration or (await probe(video, self.ffmpeg, timeout=self.timeout)).duration
            got = await grab([FrameAt(video, seconds * POSTER_AT, POSTER_BOX)], ffmpeg=self.ffmpeg,
                             timeout=self.timeout)
            frame = got.frames[0]
            return None if frame is None else await asyncio.to_thread(encode, frame, "poster")

        return await self._cached(("poster", video), make, "poster frame")

    async def _cached(self, key: tuple[str, ...], make: Callable[[], Awaitable[Picture | None]],
                      what: str) -> Picture | None:
        """The cached picture for ``key``, else ``make()``'s; ``None`` (logged) when it cannot be made."""
        try:
            picture = self._pictures.take(key)
            if picture is None:
                picture = await make()
                if picture is not None:
                    self._pictures.keep(key, picture)
            return picture
        except (FramesUnavailable, ValueError, OSError) as exc:  # no ffmpeg, not media, unreachable
            log.info("no %s: %s", what, exc)
        except Exception:
            log.warning("%s failed", what, exc_info=True)
        return None

    # -- media for the timeline -------------------------------------------------------------------------

    async def _timeline_media(self, draft: Draft, sources: Mapping[str, str],
                              ) -> tuple[dict[SegmentKey, list[Image.Image | None]], dict[SegmentKey, list[float]]]:
        """The filmstrips of video segments and the loudness of music, for what ``sources`` has; every
        frame of every filmstrip (and the music's loudness) from one ffmpeg run."""
        strips = filmstrips(draft)
        wanted: dict[tuple[int, int, int], tuple[str, float]] = {}
        music: dict[SegmentKey, str] = {}
        for t, track in enumerate(draft.tracks):
            for s, seg in enumerate(track.segments):
                source = sources.get(seg.label)
                if source is None:
                    continue
                if track.kind == VIDEO:
                    wanted.update({(t, s, i): (source, at) for i, at in enumerate(strips.get((t, s), []))})
                elif track.kind == AUDIO:
                    music[(t, s)] = source
        if not wanted and not music:
            return {}, {}
        loud_source = next((src for src in music.values() if self._loudness.take(src) is None), None)
        if loud_source is not None and _remote(loud_source):
            size = await size_of(loud_source)
            loud_source = loud_source if size is not None and size <= REMOTE_LOUDNESS_MAX else None
        found = await self._frames_for(wanted, THUMB_BOX, loud_source)
        thumbs = {(t, s): [found.get((t, s, i)) for i in range(len(times))]
                  for (t, s), times in strips.items() if (t, s, 0) in wanted}
        loudness: dict[SegmentKey, list[float]] = {}
        for key, src in music.items():
            known = self._loudness.take(src)
            if known is not None:
                loudness[key] = music_window(draft.tracks[key[0]].segments[key[1]], *known)
        return thumbs, {k: v for k, v in loudness.items() if v}

    async def _frames_for(self, wanted: Mapping[K, tuple[str, float]], box: tuple[int, int],
                          loudness_of: str | None = None) -> dict[K, Image.Image]:
        """Frames for ``wanted`` (source, seconds), the ones not cached in one ffmpeg run; a frame that
        cannot be had is left out (its segment is drawn as a labelled block)."""
        found: dict[K, Image.Image] = {}
        missing: dict[tuple[str, float], list[K]] = {}
        for key, (source, seconds) in wanted.items():
            cache_key = (source, round(seconds, 1), box)
            frame = self._frames.take(cache_key)
            if frame is not None:
                found[key] = frame
            else:
                missing.setdefault((source, round(seconds, 1)), []).append(key)
        if not missing and loudness_of is None:
            return found
        asks = list(missing)
        try:
            got = await grab([FrameAt(src, t, box) for src, t in asks], loudness_of=loudness_of,
                             buckets=MUSIC_BUCKETS if loudness_of else 0, ffmpeg=self.ffmpeg,
                             timeout=self.timeout)
        except FramesUnavailable as exc:
            log.info("no thumbnails: %s", exc)
            return found
        for (src, t), frame in zip(asks, got.frames, strict=False):
            if frame is None:
                continue
            self._frames.keep((src, t, box), frame)
            for key in missing[(src, t)]:
                found[key] = frame
        if loudness_of is not None and got.loudness:
            self._loudness.keep(loudness_of, (got.loudness, got.audio_seconds))
        return found
