"""Music without bringing any: the library the engine makes (loudness, peaks, seamless loops), operator
tracks, the pick, and real renders: a library track under a silent clip fades in, and dips under speech."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from engine.ffmpeg import find_ffmpeg
from engine.music import moods as md
from engine.music.choice import LIBRARY_SRC, source_path
from engine.music.library import INDEX, Library, Track, choose
from engine.music.synth import RECIPES
from engine.sample import make_tone
from engine.server import EngineServer

from .conftest import Api, engine_settings, media_info


@pytest.fixture(scope="session")
def library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The library the engine makes at first use, made once for these tests."""
    folder = tmp_path_factory.mktemp("music")
    Library(folder).tracks()
    return folder


def _pcm(path: Path) -> np.ndarray:
    raw = subprocess.run([find_ffmpeg(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "2", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2").reshape(-1, 2).astype(np.float64) / 32768


def _ebur128(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg measures them."""
    err = subprocess.run([find_ffmpeg(), "-hide_banner", "-nostats", "-i", str(path), "-af",
                          "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
                         capture_output=True, text=True, check=False).stderr
    i = re.findall(r"I:\s+(-?[\d.]+) LUFS", err)
    tp = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+) dBFS", err)
    assert i and tp, err[-400:]
    return float(i[-1]), float(tp.group(1))


# the library -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_made_tracks_are_loud_enough_never_clip_and_loop_without_a_click(library_dir: Path) -> None:
    index = json.loads((library_dir / INDEX).read_text(encoding="utf-8"))
    tracks = index["tracks"]
    assert {m for t in tracks for m in t["moods"]} >= {"lofi", "relaxed", "upbeat", "epic", "sad"}
    for t in tracks:
        path = library_dir / t["file"]
        assert path.is_file() and 30 <= t["seconds"] <= 60 and t["bpm"] and t["title_zh"] and t["moods_zh"]
        lufs, true_peak = _ebur128(path)
        assert -18.0 <= lufs <= -16.0, (t["file"], lufs)
        assert true_peak < -1.0, (t["file"], true_peak)
        assert t["lufs"] == pytest.approx(lufs, abs=0.2)
        x = _pcm(path)
        assert abs(x.shape[0] / 48000 - t["seconds"]) < 0.01
        steps = np.abs(np.diff(x, axis=0))
        wrap = np.abs(x[0] - x[-1])  # played looped, the last sample is followed by the first
        assert wrap.max() <= np.percentile(steps, 99.9), (t["file"], wrap, np.percentile(steps, 99.9))


def test_operator_tracks_are_indexed_with_their_sidecar_or_as_any(tmp_path: Path, library_dir: Path) -> None:
    folder = tmp_path / "lib"
    shutil.copytree(library_dir, folder)  # the made tracks (times kept), so nothing is made again
    make_tone(folder / "party.mp3", 3, 660.0)
    (folder / "party.json").write_text(json.dumps({"title": "Party", "moods": ["upbeat", "nonsense"], "bpm": 128}))
    make_tone(folder / "hum.wav", 2, 220.0)
    lib = Library(folder)
    tracks = {t.file: t for t in lib.tracks()}
    assert tracks["party.mp3"].moods == ("upbeat",) and tracks["party.mp3"].bpm == 128
    assert tracks["party.mp3"].title == "Party" and abs(tracks["party.mp3"].seconds - 3) < 0.2
    assert tracks["hum.wav"].moods == (md.ANY,) and tracks["hum.wav"].title == "hum"
    assert len(tracks) == len(RECIPES) + 2
    ups = [lib.pick("upbeat", avoid=None), lib.pick("upbeat", avoid="nemobot-upbeat-sunny.flac")]
    assert [t.file for t in ups if t] == ["nemobot-upbeat-sunny.flac", "party.mp3"]
    assert source_path(folder, LIBRARY_SRC + "party.mp3") == folder / "party.mp3"
    assert source_path(folder, LIBRARY_SRC + "../engine.db") is None and source_path(folder, "abc") is None


def _t(file: str, *moods: str) -> Track:
    return Track(file, file, "", moods, 40.0)


def test_the_pick_prefers_the_mood_then_goes_round_the_others() -> None:
    lib = [_t("a", "relaxed"), _t("b", "upbeat"), _t("c", "relaxed"), _t("d", "epic")]
    assert choose(lib, None).file == "a"  # no mood: relaxed, the default
    assert choose(lib, "upbeat").file == "b"
    assert choose(lib, "relaxed", avoid="a").file == "c" and choose(lib, "relaxed", avoid="c").file == "a"
    assert choose(lib, "upbeat", avoid="b").file == "c"  # the only one of its mood: the next of any
    assert choose(lib, "sad").file == "a"  # no such mood and nothing mood-less: the first
    assert choose([*lib, _t("z", md.ANY)], "sad").file == "z"  # the operator's mood-less track
    assert choose([], "epic") is None


# the engine ------------------------------------------------------------------------------------------------


@pytest.fixture
async def music_api(tmp_path: Path, library_dir: Path) -> AsyncIterator[Api]:
    async with EngineServer(engine_settings(tmp_path, music_dir=library_dir)) as eng:
        async with httpx.AsyncClient(base_url=eng.url, timeout=60) as http:
            yield await Api(http).login()


def _clip(path: Path, seconds: float, speech: tuple[float, float] | None) -> Path:
    """A grey clip; with ``speech``, a 6 kHz tone (a stand-in for a voice) from a to b seconds, else no sound."""
    args = [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
            f"color=c=gray:s=160x90:r=10:d={seconds}"]
    if speech:
        a, b = speech
        args += ["-f", "lavfi", "-i", f"sine=f=6000:r=48000:d={seconds}", "-af",
                 f"volume='if(between(t,{a},{b}),0.5,0)':eval=frame", "-c:a", "aac"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(args, check=True, capture_output=True, timeout=60)
    return path


def _music_level(path: Path, start: float, seconds: float) -> float:
    """Mean level (dB) of the output below 1 kHz, where the music is and the 6 kHz "voice" is not."""
    err = subprocess.run([find_ffmpeg(), "-hide_banner", "-nostats", "-ss", str(start), "-t", str(seconds), "-i",
                          str(path), "-vn", "-af", "lowpass=f=1000,lowpass=f=1000,lowpass=f=1000,volumedetect",
                          "-f", "null", "-"], capture_output=True, text=True, check=False).stderr
    m = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", err)
    assert m, err[-400:]
    return float(m.group(1)) if m.group(1) != "-inf" else -120.0


def _music_of(state: dict) -> dict:
    (seg,) = next(t["sg"] for t in state["draft"]["t"] if t["tt"] == 1)
    return dict(seg["m"])


async def test_change_the_music_picks_another_and_undo_takes_it_back(music_api: Api, tmp_path: Path) -> None:
    await music_api.upload(_clip(tmp_path / "silent.mp4", 4, None))
    s = await music_api.chat("add some relaxed music")
    assert "Sunday Drift" in s.texts[-1] and "relaxed" in s.texts[-1]
    first = _music_of(await music_api.state())
    assert first["src"] == LIBRARY_SRC + "nemobot-relaxed-sunday.flac" and first["mood"] == "relaxed"
    assert first["title"] == "Sunday Drift (relaxed)"
    s = await music_api.chat("change the music")
    second = _music_of(await music_api.state())
    assert second["src"] != first["src"] and second["vol"] == first["vol"]
    assert "Changed the music" in s.texts[-1]
    await music_api.chat("undo")
    assert _music_of(await music_api.state())["src"] == first["src"]
    await music_api.chat("undo")
    assert not any(t["sg"] for t in (await music_api.state())["draft"]["t"] if t["tt"] == 1)


async def test_chinese_mood_and_an_upload_still_wins_when_no_mood_is_named(
    music_api: Api, tmp_path: Path, clips: dict[str, Path]
) -> None:
    await music_api.upload(_clip(tmp_path / "silent.mp4", 4, None))
    s = await music_api.chat("加点欢快的背景音乐")
    assert "阳光步伐" in s.texts[-1] or "Sunny Steps" in s.texts[-1]
    assert _music_of(await music_api.state())["mood"] == "upbeat"
    await music_api.upload(clips["music"])
    await music_api.chat("add the music I sent")
    assert _music_of(await music_api.state())["title"] == "music.mp3"


@pytest.mark.slow
async def test_a_library_track_under_a_silent_clip_is_heard_and_fades_in(music_api: Api, tmp_path: Path) -> None:
    await music_api.upload(_clip(tmp_path / "silent.mp4", 4, None))
    await music_api.chat("add relaxed music")
    out = await music_api.export(tmp_path / "relaxed.mp4")
    info = media_info(out)
    assert info.has_audio and abs(info.duration - 4) < 0.2
    start, middle = _music_level(out, 0.0, 0.25), _music_level(out, 1.2, 1.0)
    assert middle > -45, middle  # music, not silence
    assert start < middle - 6, (start, middle)  # faded in


@pytest.mark.slow
async def test_the_music_dips_under_speech(music_api: Api, tmp_path: Path) -> None:
    await music_api.upload(_clip(tmp_path / "talk.mp4", 8, (2.0, 4.0)))
    await music_api.chat("add upbeat music at 40%")
    out = await music_api.export(tmp_path / "ducked.mp4")
    gaps = (_music_level(out, 1.1, 0.8) + _music_level(out, 4.8, 1.0)) / 2
    speech = _music_level(out, 2.4, 1.4)
    assert speech <= gaps - 6, (speech, gaps)
