"""engine/speech: words from festival's speech (pocketsphinx), known words aligned to it, speech regions, the
confidence gate, and the honest None where no backend speaks the language."""

from __future__ import annotations

import logging
import subprocess
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from core.media.ffmpeg import find_ffmpeg
from engine.settings import EngineSettings
from engine.speech import SpeechSettings, Transcript, align, speech_regions, transcribe
from engine.speech.sphinx import number_words, spoken_forms
from engine.speech.spread import spread
from engine.speech.transcript import split_words
from tests.festival_speech import (
    SENTENCES,
    Spoken,
    conversation,
    festival_available,
    say,
    under,
    word_error_rate,
)

needs_festival = pytest.mark.skipif(
    not festival_available(), reason="festival is not installed (apt-get install festival festvox-us-slt-hts)"
)
ZH_TEXT = "今天天气很好，我们去散步吧。请打开门。我想要一杯咖啡。"


@pytest.fixture(scope="session")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Spoken:
    """Three English sentences by festival with 1 s silences between them."""
    if not festival_available():
        pytest.skip("festival is not installed (apt-get install festival festvox-us-slt-hts)")
    return conversation(tmp_path_factory.mktemp("speech"))


@pytest.fixture(scope="session")
def spoken(spoken_wav: Spoken) -> Spoken:
    """The same speech as an AAC (.m4a) file, as a phone would send it."""
    m4a = spoken_wav.path.with_suffix(".m4a")
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(spoken_wav.path),
                    "-c:a", "aac", "-b:a", "96k", str(m4a)], check=True, capture_output=True, timeout=60)
    return Spoken(m4a, spoken_wav.words, spoken_wav.silences, spoken_wav.duration)


@pytest.fixture(scope="session")
def noisy(spoken_wav: Spoken) -> Spoken:
    """The first sentence under heavy pink noise (one sentence keeps the test quick)."""
    return under(spoken_wav, "heavy pink noise", spoken_wav.path.with_name("heavy.wav"), spoken_wav.silences[0][0])


def inside(t0: float, t1: float, regions: list[tuple[float, float]], slack: float = 0.0) -> bool:
    return any(s - slack <= t0 and t1 <= e + slack for s, e in regions)


@needs_festival
async def test_clean_english_speech_is_transcribed_and_trusted(spoken: Spoken) -> None:
    t = await transcribe(spoken.path, "en", SpeechSettings())
    assert isinstance(t, Transcript) and t.backend == "pocketsphinx" and t.language == "en"
    assert word_error_rate(spoken.text, t.text) <= 0.1, t.text
    assert t.trustworthy
    assert all(0 <= w.start < w.end <= spoken.duration + 0.1 and 0 <= w.confidence <= 1 for w in t.words)


@needs_festival
async def test_heavy_noise_is_not_trusted(noisy: Spoken) -> None:
    t = await transcribe(noisy.path, "en", EngineSettings(data_dir=Path("unused")))  # the engine's own settings
    assert t is not None and t.backend == "pocketsphinx"
    assert len(noisy.words) == len(SENTENCES[0].split())
    assert not t.trustworthy, f"{t.text!r} was trusted"


@needs_festival
async def test_known_words_land_where_festival_spoke_them(spoken: Spoken) -> None:
    text = " ".join(SENTENCES)
    t = await align(spoken.path, text, "en")
    assert t.backend == "pocketsphinx" and t.trustworthy
    assert [w.text for w in t.words] == text.split()  # the words as typed, punctuation kept
    assert len(t.words) == len(spoken.words)
    late = [(w.text, w.start, truth.start) for w, truth in zip(t.words, spoken.words, strict=True)
            if abs(w.start - truth.start) > 0.3]
    assert not late
    assert all(w.confidence == 1.0 for w in t.words)


@needs_festival
async def test_names_and_digits_are_aligned_too(tmp_path: Path) -> None:
    """A name the dictionary lacks (aligned as speech it cannot spell) and digits (said as words)."""
    text = "Meet Zorblat at 42 Baker Street tomorrow morning."
    truth, _ = say(text, tmp_path / "names.wav")
    said = [w.text for w in truth]
    assert said[:5] == ["Meet", "Zorblat", "at", "forty", "two"]  # festival says 42 as two words
    starts = [w.start for i, w in enumerate(truth) if said[i] != "two"]
    t = await align(tmp_path / "names.wav", text, "en")
    assert t.backend == "pocketsphinx" and [w.text for w in t.words] == text.split()
    assert all(abs(w.start - start) <= 0.3 for w, start in zip(t.words, starts, strict=True)), t.words


@needs_festival
async def test_words_that_were_not_said_fall_back_to_the_speech(spoken: Spoken) -> None:
    text = " ".join(SENTENCES) + " And then we all went home to sleep for a very long time."
    t = await align(spoken.path, text, "en")
    regions = await speech_regions(spoken.path)
    assert [w.text for w in t.words] == text.split()
    assert t.backend == "regions"
    assert all(inside(w.start, w.end, regions) for w in t.words)


@needs_festival
async def test_speech_regions_never_cover_the_silences(spoken: Spoken) -> None:
    regions = await speech_regions(spoken.path)
    assert len(regions) == len(SENTENCES)
    for gap_start, gap_end in spoken.silences:
        assert not any(s < gap_end - 0.05 and e > gap_start + 0.05 for s, e in regions), (regions, gap_start)
    heard = [w for w in spoken.words if inside(w.start, w.end, regions, slack=0.15)]
    assert len(heard) >= 0.9 * len(spoken.words)


@needs_festival
async def test_chinese_text_is_spread_over_the_speech_only(spoken: Spoken) -> None:
    t = await align(spoken.path, ZH_TEXT, "zh")
    regions = await speech_regions(spoken.path)
    assert t.backend == "regions" and t.language == "zh"
    assert "".join(w.text for w in t.words) == ZH_TEXT
    assert len(t.words) == sum(1 for ch in ZH_TEXT if "\u4e00" <= ch <= "\u9fff")
    assert all(inside(w.start, w.end, regions) for w in t.words)
    assert t.words[0].start == regions[0][0] and t.words[-1].end == regions[-1][1]


async def test_chinese_without_a_multilingual_model_is_none(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clip = tmp_path / "any.wav"  # never read: no backend is chosen
    caplog.set_level(logging.INFO, logger="engine.speech")
    assert await transcribe(clip, "zh", SpeechSettings()) is None
    assert "no transcription for language zh" in caplog.text
    caplog.clear()
    missing = SpeechSettings(transcriber="faster-whisper", whisper_model=str(tmp_path / "no-such-model"))
    assert await transcribe(clip, "zh", missing) is None
    assert await transcribe(clip, "en", missing) is None
    assert "no transcription" in caplog.text
    assert await transcribe(clip, "en", SpeechSettings(transcriber="off")) is None
    assert await transcribe(clip, "zh", SpeechSettings(transcriber="pocketsphinx")) is None


@needs_festival
async def test_the_whisper_backend_is_used_when_a_model_is_configured(
    spoken: Spoken, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """faster-whisper is not installed here: a stand-in module with its API (WhisperModel(...).transcribe ->
    segments with words, info.language) checks what the adapter asks for and what it makes of the answer."""
    calls: list[dict[str, Any]] = []

    class WhisperModel:
        def __init__(self, model: str, **kw: Any) -> None:
            calls.append({"model": model, **kw})

        def transcribe(self, audio: Any, **kw: Any) -> tuple[Any, Any]:
            calls.append({"samples": len(audio), **kw})
            words = [SimpleNamespace(word=ch, start=w.start, end=w.end, probability=0.9)
                     for ch, w in zip("今天天气很好", spoken.words, strict=False)]
            return iter([SimpleNamespace(words=words)]), SimpleNamespace(language="zh")

    fake = ModuleType("faster_whisper")
    fake.__spec__ = ModuleSpec("faster_whisper", None)
    fake.WhisperModel = WhisperModel  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "faster_whisper", fake)
    model_dir = tmp_path / "whisper-small"
    model_dir.mkdir()
    t = await transcribe(spoken.path, "zh", SpeechSettings(whisper_model=str(model_dir)))
    assert t is not None and t.backend == "faster-whisper" and t.language == "zh" and t.trustworthy
    assert t.text == "今天天气很好"
    assert calls[0] == {"model": str(model_dir), "device": "cpu", "compute_type": "int8"}
    assert calls[1]["language"] == "zh" and calls[1]["word_timestamps"] is True
    assert abs(calls[1]["samples"] / 16000 - spoken.duration) < 0.1


async def test_a_file_without_speech_never_raises(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=16000:cl=mono", "-t", "2", str(silent)], check=True, capture_output=True)
    assert await speech_regions(silent) == []
    t = await align(silent, "hello there", "en")
    assert [w.text for w in t.words] == ["hello", "there"] and not t.trustworthy
    heard = await transcribe(silent, "en", SpeechSettings())
    assert heard is not None and not heard.trustworthy and heard.words == ()  # nothing heard in silence
    mute = tmp_path / "mute.mp4"  # a video without sound
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=s=160x90:r=10:d=1", "-c:v", "libx264", "-preset", "ultrafast", str(mute)],
                   check=True, capture_output=True)
    assert await speech_regions(mute) == []
    t = await align(mute, "hello there", "en")
    assert t.words == () and not t.trustworthy


def test_spread_keeps_every_word_inside_one_region() -> None:
    regions = [(1.0, 2.0), (4.0, 4.5), (6.0, 8.0)]
    words = spread(["one", "two", "three", "four", "five", "six", "seven", "eight"], regions)
    assert [w.text for w in words] == ["one", "two", "three", "four", "five", "six", "seven", "eight"]
    assert all(inside(w.start, w.end, regions) for w in words)
    assert words[0].start == 1.0 and words[-1].end == 8.0
    assert spread(["a"], []) == []


def test_written_tokens() -> None:
    assert split_words("你好，world 再见。", "zh") == ["你", "好，", "world", "再", "见。"]
    assert split_words("“好”", "zh") == ["“好”"]
    assert spoken_forms("fox-like,") == ["fox", "like"]
    assert spoken_forms("42") == ["forty", "two"] and number_words(1905) == ["one", "thousand", "nine",
                                                                              "hundred", "five"]
