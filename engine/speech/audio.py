"""The audio the recognizers read: 16 kHz mono 16-bit PCM pulled out of any media file with ffmpeg."""

from __future__ import annotations

import tempfile
from pathlib import Path

from engine import ffmpeg
from engine.errors import FfmpegError

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
# "Clean the audio first": rumble off, then a gentle FFT denoise of the steady noise floor. bench/speech.py
# measures it against no cleaning; on festival speech (30 words, pocketsphinx) it took the word error rate
# under light pink noise (19.6 dB SNR) from 0.23 to 0.03 and under music from 0.37 to 0.30, and cost one
# word on clean speech (0.00 -> 0.03). A stronger one (band-pass 100-7000 Hz, afftdn nr=20 following the
# noise) did worse under noise and music.
CLEAN_FILTER = "highpass=f=80,afftdn=nr=10:nf=-35"


async def pcm16k(media: Path, *, clean: bool = False, ffmpeg_bin: str | None = None) -> bytes:
    """The first audio stream of ``media`` as 16 kHz mono s16le samples (b"" when it has no audio)."""
    with tempfile.TemporaryDirectory(prefix="speech-") as tmp:
        out = Path(tmp) / "audio.raw"
        args = [ffmpeg.find_ffmpeg(ffmpeg_bin), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error",
                "-y", "-i", str(media), "-map", "0:a:0?", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE)]
        if clean:
            args += ["-af", CLEAN_FILTER]
        args += ["-f", "s16le", "-acodec", "pcm_s16le", str(out)]
        try:
            await ffmpeg.run(args, timeout=600)
        except FfmpegError as exc:
            if "does not contain any stream" in " ".join(map(str, exc.args)):
                return b""  # a video without sound
            raise
        return out.read_bytes() if out.exists() else b""
