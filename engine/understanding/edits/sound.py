"""Sound: music, mute, volume, fades of the audio, loudness, noise."""

from __future__ import annotations

import re
from typing import Any

from .. import slots
from ..ops import Op
from .base import Clause, Result, _clamp, _r, w
from .picture import ADJUST_WORDS, LOOK_WORDS
from .ranges import _duration

# -- sound ---------------------------------------------------------------------------------------------------
_MUSIC_REMOVE = w(
    # not across an added music: "remove the audio and add music", "把声音去掉加个音乐"
    r"\b(?:remove|delete|drop|no|without|stop|kill|lose|take out|get rid of)\b(?:(?!\b(?:add|put|use|play|with)\b).){0,20}"
    r"\b(?:music|bgm|soundtrack|song)\b|"
    r"(?:去掉|删除|删掉|不要|移除|关掉|取消)[^加添配来放换]{0,6}(?:背景音乐|配乐|音乐|背景乐|bgm)"
)


def _level(c: Clause) -> float | None:
    p = slots.percent(c.low)
    return p if p is not None else slots.fraction_number(c.low)


_MUSIC_WORDS = w(r"\bmusic\b|\bbgm\b|\bsoundtrack\b|\bsong\b|背景音乐|配乐|音乐|背景乐")
_VOLUME_WORDS = w(
    r"\d{1,4}(?:\.\d{1,3})?\s?%|\bvolume\b|音量|\blouder\b|\bquieter\b|\bsofter\b|调大|调小|大一点|小一点|大声|小声"
)


def _mute(c: Clause, m: re.Match[str]) -> Result:
    if re.search(r"\bnoise|\bhiss|\bhum\b|\bfade|噪|杂音|淡", c.low) and not re.search(r"\bmute\b|静音", c.low):
        return None  # "remove the noise from the audio": denoise, not mute
    c.claim(m.start(), m.end())  # "turn the volume off": no volume step beside it
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


