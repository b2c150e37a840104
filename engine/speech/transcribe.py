"""Words from speech behind one small interface: pocketsphinx (offline, English) and faster-whisper
(multilingual, when installed and a model is configured). The recognizer's own confidence decides whether the
words are good enough to burn into a video."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import sphinx, whisper
from .audio import pcm16k
from .regions import regions_from_pcm
from .transcript import Transcript, Word

if TYPE_CHECKING:
    from engine.settings import EngineSettings

log = logging.getLogger(__name__)

Transcriber = Literal["auto", "pocketsphinx", "faster-whisper", "off"]
DEFAULT_MIN_CONFIDENCE = 0.7


@dataclass(frozen=True)
class SpeechSettings:
    """transcriber: auto (faster-whisper when usable, else pocketsphinx for English), one backend, or off.
    whisper_model: a local model directory or a model name (downloaded once); None: no multilingual model.
    min_confidence: below this mean word confidence a transcript is not trustworthy.
    clean: band-pass and FFT-denoise the audio before recognition."""

    transcriber: Transcriber = "auto"
    whisper_model: str | None = None
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    clean: bool = True
    ffmpeg: str | None = None

    @classmethod
    def of(cls, settings: EngineSettings) -> SpeechSettings:
        return cls(
            transcriber=settings.transcriber,
            whisper_model=settings.whisper_model,
            min_confidence=settings.transcribe_min_confidence,
            ffmpeg=settings.ffmpeg,
        )


def trustworthy(words: list[Word], min_confidence: float) -> bool:
    """Good enough to burn in: some words, and the recognizer sure enough of them on average."""
    return bool(words) and sum(w.confidence for w in words) / len(words) >= min_confidence


def _in_speech(words: list[Word], regions: list[tuple[float, float]]) -> list[Word]:
    """The words that overlap someone speaking: a recognizer hears words in silence too (pocketsphinx heard
    "dog", sure of it, in two seconds of digital silence)."""
    return [w for w in words if any(w.start < e and w.end > s for s, e in regions)]


def _backend(language: str | None, settings: SpeechSettings) -> str | None:
    if settings.transcriber == "off":
        return None
    if settings.transcriber in ("auto", "faster-whisper"):
        why = whisper.unusable(settings.whisper_model)
        if why is None:
            return "faster-whisper"
        if settings.transcriber == "faster-whisper" or language not in (None, "en"):
            log.info("no transcription for language %s: %s", language or "unknown", why)
            return None
    if language in (None, "en") and sphinx.available():
        return "pocketsphinx"
    log.info("no transcription for language %s: pocketsphinx knows English only and no multilingual "
             "model is configured", language or "unknown")
    return None


async def transcribe(audio: Path, language: str | None, settings: SpeechSettings | EngineSettings
                     ) -> Transcript | None:
    """Words heard in ``audio`` (a video or audio file). ``language`` None: whatever is spoken (pocketsphinx
    assumes English). None: no backend can do this language here (Chinese without a faster-whisper model)."""
    if not isinstance(settings, SpeechSettings):
        settings = SpeechSettings.of(settings)
    backend = _backend(language, settings)
    if backend is None:
        return None
    pcm = await pcm16k(audio, clean=settings.clean, ffmpeg_bin=settings.ffmpeg)
    regions = await asyncio.to_thread(regions_from_pcm, pcm)
    if backend == "faster-whisper":
        assert settings.whisper_model is not None
        words, spoken = await asyncio.to_thread(whisper.recognize, pcm, settings.whisper_model, language)
    else:
        words, spoken = await asyncio.to_thread(sphinx.recognize, pcm, regions), "en"
    words = _in_speech(words, regions)
    ok = trustworthy(words, settings.min_confidence)
    if not ok:
        log.info("transcript by %s not trustworthy: %d words, below confidence %.2f",
                 backend, len(words), settings.min_confidence)
    return Transcript(tuple(words), spoken, backend, ok)
