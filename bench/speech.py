"""Speech in the engine, measured on English that Debian's festival speaks (voice cmu_us_slt_arctic_hts):
the word error rate per transcription backend at several noise levels (clean, light and heavy pink noise, music
under the voice), with and without the cleaning filter, with the recognizer's mean confidence and whether the
transcript passed the confidence gate; then the caption timing error against where festival put each word
(word starts, mean/max seconds) for align() and for the speech-regions fallback.

    python bench/speech.py [--whisper-model DIR_OR_NAME]

Needs festival and festvox-us-slt-hts (apt-get install festival festvox-us-slt-hts).
"""

from __future__ import annotations

import argparse
import array
import asyncio
import math
import sys
import tempfile
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.speech import SpeechSettings, align, speech_regions, transcribe
from engine.speech import whisper as whisper_backend
from engine.speech.spread import spread
from tests.festival_speech import NOISES, Spoken, conversation, festival_available, under, word_error_rate


def _power(path: Path) -> float:
    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    return sum(s * s for s in samples) / max(1, len(samples))


def snr_db(clean: Spoken, mixed: Spoken) -> float:
    """Speech power over the power added under it (the whole clip, pauses included)."""
    speech = _power(clean.path)
    noise = max(1e-9, _power(mixed.path) - speech)
    return 10 * math.log10(speech / noise)


def timing_errors(words: list[tuple[str, float]], truth: Spoken) -> tuple[float, float]:
    errors = [abs(start - t.start) for (_, start), t in zip(words, truth.words, strict=True)]
    return sum(errors) / len(errors), max(errors)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--whisper-model", default=None, help="faster-whisper model directory or name (optional)")
    args = ap.parse_args()
    if not festival_available():
        print("skipped: festival is not installed (apt-get install festival festvox-us-slt-hts)")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        folder = Path(tmp)
        clean = conversation(folder)
        clips = {"clean": clean}
        for name in NOISES:
            clips[name] = under(clean, name, folder / f"{name.replace(' ', '-')}.wav")
        print(f"speech: {len(clean.words)} words in {clean.duration:.1f} s (3 sentences, 1 s silences between)")

        backends: list[tuple[str, SpeechSettings]] = [("pocketsphinx", SpeechSettings(transcriber="pocketsphinx"))]
        why = whisper_backend.unusable(args.whisper_model)
        if why is None:
            backends.append(("faster-whisper", SpeechSettings(transcriber="faster-whisper",
                                                              whisper_model=args.whisper_model)))
        else:
            print(f"faster-whisper: not measured: {why}")
        print("\nword error rate (lower is better); conf = mean word confidence; gate = trustworthy at "
              f"min_confidence {SpeechSettings().min_confidence}")
        print(f"{'backend':15} {'audio':22} {'SNR dB':>7} {'cleaned':>8} {'WER':>6} {'conf':>5} {'gate':>5} "
              f"{'seconds':>8}")
        for backend, settings in backends:
            for name, clip in clips.items():
                snr = "-" if clip is clean else f"{snr_db(clean, clip):.1f}"
                for cleaned in (False, True):
                    s = SpeechSettings(settings.transcriber, settings.whisper_model, settings.min_confidence,
                                       clean=cleaned)
                    t0 = time.perf_counter()
                    t = await transcribe(clip.path, "en", s)
                    took = time.perf_counter() - t0
                    if t is None:
                        print(f"{backend:15} {name:22} {snr:>7} {cleaned!s:>8}   (no transcript)")
                        continue
                    conf = sum(w.confidence for w in t.words) / max(1, len(t.words))
                    wer = word_error_rate(clean.text, t.text)
                    print(f"{backend:15} {name:22} {snr:>7} {cleaned!s:>8} {wer:6.2f} {conf:5.2f} "
                          f"{'yes' if t.trustworthy else 'no':>5} {took:8.1f}")

        print("\ncaption timing error against the known speech: |word start - festival's word start|, seconds")
        print(f"{'audio':22} {'method':28} {'mean':>6} {'max':>6}")
        text = " ".join(w.text for w in clean.words)
        for name, clip in clips.items():
            t = await align(clip.path, text, "en")
            mean, worst = timing_errors([(w.text, w.start) for w in t.words], clean)
            print(f"{name:22} {'align() -> ' + t.backend:28} {mean:6.3f} {worst:6.3f}")
            regions = await speech_regions(clip.path)
            spread_words = spread(text.split(), regions)
            if len(spread_words) == len(clean.words):
                mean, worst = timing_errors([(w.text, w.start) for w in spread_words], clean)
                print(f"{name:22} {'regions fallback':28} {mean:6.3f} {worst:6.3f}")
            else:
                print(f"{name:22} {'regions fallback':28}  (no speech regions found)")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
