"""The multilingual recognizer (Chinese included): ``faster-whisper``, an optional extra
(``pip install 'nemobot[speech-multilingual]'``), imported only when used.

The model is the setting ``whisper_model``: a local directory holding a CTranslate2 Whisper model, or a model
name ("small", "large-v3", ...) that faster-whisper downloads once into the Hugging Face cache on first use.
Unset, there is no multilingual model."""

from __future__ import annotations

import functools
import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any

from .audio import SAMPLE_RATE
from .transcript import Word

log = logging.getLogger(__name__)
_lock = threading.Lock()  # one model load, one decode at a time (the model holds the cores anyway)


def installed() -> bool:
    return importlib.util.find_spec("faster_whisper") is not None


def looks_like_path(model: str) -> bool:
    """A directory ("/srv/whisper-small", "./models/small", "~/w") rather than a model name ("small",
    "Systran/faster-whisper-small")."""
    return model.startswith((".", "/", "~")) or Path(model).expanduser().is_dir()


def unusable(model: str | None) -> str | None:
    """Why faster-whisper cannot run here with this model setting (None: it can)."""
    if not model:
        return "no whisper_model is configured"
    if not installed():
        return "faster-whisper is not installed (pip install 'nemobot[speech-multilingual]')"
    if looks_like_path(model) and not Path(model).expanduser().is_dir():
        return f"the whisper_model directory {model!r} does not exist"
    return None


@functools.lru_cache(maxsize=2)
def _model(model: str) -> Any:
    from faster_whisper import WhisperModel  # type: ignore[import-not-found]

    path = str(Path(model).expanduser()) if looks_like_path(model) else model
    return WhisperModel(path, device="cpu", compute_type="int8")


def recognize(pcm: bytes, model: str, language: str | None) -> tuple[list[Word], str]:
    """Words (with faster-whisper's word probabilities) and the language spoken; blocking."""
    import numpy as np

    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0
    assert SAMPLE_RATE == 16000  # faster-whisper reads 16 kHz arrays
    with _lock:
        segments, info = _model(model).transcribe(
            samples, language=language, word_timestamps=True, vad_filter=True, beam_size=5
        )
        words = [
            Word(w.word.strip(), float(w.start), float(w.end), float(w.probability))
            for segment in segments
            for w in (segment.words or [])
            if w.word.strip()
        ]
    return words, str(info.language)
