"""Speech in the engine: words from speech (``transcribe``), known words timed to speech (``align``), where
someone speaks (``speech_regions``), and whether a transcript is good enough to burn into a video."""

from .align import align
from .regions import speech_regions
from .transcribe import SpeechSettings, transcribe
from .transcript import Transcript, Word

__all__ = ["SpeechSettings", "Transcript", "Word", "align", "speech_regions", "transcribe"]
