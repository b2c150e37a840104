"""Speech made with Debian's festival (voice cmu_us_slt_arctic_hts) for tests/engine/test_speech.py and
bench/speech.py: sentences with the word timings festival itself used (the truth, independent of any aligner),
joined by known silences, and the same speech with pink noise or music under it. Plus the word error rate."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from core.media.ffmpeg import find_ffmpeg

VOICE = "voice_cmu_us_slt_arctic_hts"
SENTENCES = (
    "The weather is nice today and we can go for a walk.",
    "Please open the door and turn on the light.",
    "I would like a cup of coffee with milk.",
)
GAP = 1.0  # seconds of digital silence between two sentences
RATE = 32000  # festival's sample rate with this voice
# what goes under the voice: name -> ffmpeg source (mono)
NOISES: dict[str, str] = {
    "light pink noise": f"anoisesrc=color=pink:amplitude=0.03:r={RATE}:seed=7",
    "heavy pink noise": f"anoisesrc=color=pink:amplitude=0.25:r={RATE}:seed=7",
    # a chord, a pulsing tone and a walking bass line
    "music under the voice": "aevalsrc='0.08*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*2*t))+0.06*sin(2*PI*277.18*t)"
    f"+0.05*sin(2*PI*329.63*t)+0.04*sin(2*PI*(110+55*floor(mod(t,4)))*t)':s={RATE}",
}


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Spoken:
    path: Path
    words: tuple[TimedWord, ...]  # where festival put each word
    silences: tuple[tuple[float, float], ...]  # the inserted gaps
    duration: float

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def festival_available() -> bool:
    return shutil.which("festival") is not None


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _duration(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def say(text: str, path: Path) -> tuple[list[TimedWord], float]:
    """``text`` spoken into the WAV ``path``; festival's own word timings, and the duration."""
    script = (f"({VOICE})\n(set! utt (SynthText {_scheme_string(text)}))\n"
              f"(utt.save.wave utt {_scheme_string(str(path))} 'riff)\n"
              "(mapcar (lambda (w) (format t \"%s %f %f\\n\" (item.name w) (item.feat w \"word_start\") "
              "(item.feat w \"word_end\"))) (utt.relation.items utt 'Word))\n")
    with tempfile.NamedTemporaryFile("w", suffix=".scm", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(["festival", "-b", f.name], capture_output=True, text=True, timeout=120, check=True)
    finally:
        Path(f.name).unlink()
    words = []
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            words.append(TimedWord(parts[0], float(parts[1]), float(parts[2])))
    return words, _duration(path)


def conversation(folder: Path, sentences: tuple[str, ...] = SENTENCES, gap: float = GAP) -> Spoken:
    """The sentences spoken one after another with ``gap`` seconds of digital silence between them."""
    folder.mkdir(parents=True, exist_ok=True)
    words: list[TimedWord] = []
    silences: list[tuple[float, float]] = []
    parts: list[Path] = []
    clock = 0.0
    for i, sentence in enumerate(sentences):
        part = folder / f"sentence{i}.wav"
        timed, seconds = say(sentence, part)
        words += [TimedWord(w.text, round(clock + w.start, 3), round(clock + w.end, 3)) for w in timed]
        parts.append(part)
        clock += seconds
        if i < len(sentences) - 1:
            silences.append((round(clock, 3), round(clock + gap, 3)))
            clock += gap
    out = folder / "speech.wav"
    inputs: list[str] = []
    for part in parts:
        inputs += ["-i", str(part)]
    chain = "".join(f"[s{i}]" + (f"[g{i}]" if i < len(parts) - 1 else "") for i in range(len(parts)))
    graph = ";".join(
        [f"[{i}:a]aresample={RATE},aformat=channel_layouts=mono[s{i}]" for i in range(len(parts))]
        + [f"anullsrc=r={RATE}:cl=mono,atrim=duration={gap}[g{i}]" for i in range(len(parts) - 1)]
        + [f"{chain}concat=n={2 * len(parts) - 1}:v=0:a=1[a]"]
    )
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph,
                    "-map", "[a]", "-c:a", "pcm_s16le", str(out)], check=True, capture_output=True, timeout=60)
    return Spoken(out, tuple(words), tuple(silences), _duration(out))


def under(spoken: Spoken, noise: str, out: Path, until: float | None = None) -> Spoken:
    """The same speech with one of NOISES under it for its whole length (the silences too); ``until``: only
    the speech before that second (the words ending by then)."""
    seconds = min(spoken.duration, until or spoken.duration)
    graph = (f"[0:a]atrim=duration={seconds}[v];{NOISES[noise]},atrim=duration={seconds}[n];"
             "[v][n]amix=inputs=2:duration=first:normalize=0[a]")
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(spoken.path),
                    "-filter_complex", graph, "-map", "[a]", "-c:a", "pcm_s16le", str(out)],
                   check=True, capture_output=True, timeout=60)
    return Spoken(out, tuple(w for w in spoken.words if w.end <= seconds),
                  tuple(g for g in spoken.silences if g[1] <= seconds), seconds)


def normalize(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on lower-cased words."""
    ref, hyp = normalize(reference), normalize(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))
