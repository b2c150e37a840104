"""Background tracks made by code (numpy): chords, a bass line, a soft drum pattern, a touch of reverb.

Every track is an exact number of bars and everything in it is circular: a note's tail that runs past the
end is added back at the start, the reverb and the filters are circular convolutions (FFT over the whole
track). So the last sample leads into the first as any two neighbouring samples do: the file loops with
no click. Tempos are chosen so a beat is a whole number of samples at 48 kHz.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

SR = 48000
Wave = NDArray[np.float64]
Spectrum = NDArray[np.complex64]


@dataclass(frozen=True)
class Recipe:
    """One track: its name, moods, tempo, bars, chord progression (MIDI notes, one chord a bar) and how it
    is played (a function that fills the stems)."""

    key: str
    title: str
    title_zh: str
    moods: tuple[str, ...]
    bpm: int
    bars: int
    chords: tuple[tuple[int, ...], ...]
    play: Callable[[Song], None]


class Song:
    """Stems being filled: left/right buffers of a whole number of bars, notes placed with wrap-around."""

    def __init__(self, recipe: Recipe, seed: int) -> None:
        self.r = recipe
        self.beat = SR * 60 // recipe.bpm
        assert self.beat * recipe.bpm == SR * 60, "a beat must be a whole number of samples"
        self.n = self.beat * 4 * recipe.bars
        self.rng = np.random.default_rng(seed)
        self.mix = np.zeros((2, self.n), dtype=np.float32)
        self._cache: dict[tuple[object, ...], Wave] = {}

    def at(self, bar: int, beat: float) -> int:
        return round((bar * 4 + beat) * self.beat)

    def chord(self, bar: int) -> tuple[int, ...]:
        return self.r.chords[bar % len(self.r.chords)]

    def put(self, sound: Wave, start: int, gain: float, pan: float = 0.0) -> None:
        """Add ``sound`` at ``start`` (wrapping past the end), panned -1 (left) .. 1 (right)."""
        bus = self.mix
        left, right = np.cos((pan + 1) * np.pi / 4), np.sin((pan + 1) * np.pi / 4)
        pos, rest = start % self.n, sound
        while rest.size:
            take = min(rest.size, self.n - pos)
            bus[0, pos : pos + take] += gain * left * rest[:take]
            bus[1, pos : pos + take] += gain * right * rest[:take]
            rest, pos = rest[take:], 0

    def sound(self, make: Callable[..., Wave], *args: Any) -> Wave:
        """``make(*args)``, made once a song: a chord or a drum hit sounds the same every bar."""
        key = (make.__name__, *args)
        if key not in self._cache:
            self._cache[key] = make(*args)
        return self._cache[key]

    def noise(self, n: int) -> Wave:
        return self.rng.standard_normal(n)


# -- instruments: one note each, as a mono wave --------------------------------------------------------------


def hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _t(seconds: float) -> Wave:
    return np.arange(int(seconds * SR)) / SR


def _adsr(n: int, attack: float, release: float, hold: int) -> Wave:
    """Linear attack, sustain until ``hold`` samples, then a cosine release."""
    env = np.ones(n)
    a = max(1, int(attack * SR))
    env[:a] = np.linspace(0, 1, a, endpoint=False)
    r = n - hold
    if r > 0:
        env[hold:] = 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, r))
    return env


_TABLE = 8192


def _cycle(weights: tuple[float, ...], phase: float = 0.0) -> Wave:
    """One period of a waveform from its harmonics' amplitudes, for table look-up."""
    x = np.arange(_TABLE + 1) / _TABLE
    return np.asarray(sum(w * np.sin(2 * np.pi * (k + 1) * x + phase * (k + 1)) for k, w in enumerate(weights)))


def _osc(cycle: Wave, freq: float, t: Wave) -> Wave:
    """The waveform ``cycle`` played at ``freq``: one table look-up a sample instead of a sine a harmonic
    (a table this long keeps the look-up's error under -70 dB)."""
    return cycle[((freq * t) % 1.0 * _TABLE).astype(np.int32)]


def pad(note: int, seconds: float, bright: float = 0.5) -> Wave:
    """A soft, slowly breathing chord voice: two detuned voices of a few harmonics."""
    release = 1.2
    t = _t(seconds + release)
    f = hz(note)
    cycle = _cycle(tuple(bright**k / (k + 1) for k in range(5)), 1.0)
    out = _osc(cycle, f * 0.996, t) + _osc(cycle, f * 1.004, t + 0.37)
    return out * _adsr(t.size, 0.6, release, int(seconds * SR)) * 0.25


def keys(note: int, seconds: float, decay: float = 1.4) -> Wave:
    """An electric-piano-like note: a sine with a quickly fading second harmonic and a bell overtone."""
    t = _t(seconds + 0.4)
    f = hz(note)
    tone = (
        np.sin(2 * np.pi * f * t)
        + 0.35 * np.exp(-t / 0.25) * np.sin(2 * np.pi * 2 * f * t)
        + 0.08 * np.exp(-t / 0.08) * np.sin(2 * np.pi * 7 * f * t)
    )
    env = np.exp(-t / decay) * _adsr(t.size, 0.004, 0.4, int(seconds * SR))
    return tone * env


def pluck(note: int, seconds: float) -> Wave:
    """A bright, short plucked note: higher harmonics die sooner."""
    t = _t(seconds + 0.2)
    f = hz(note)
    out = sum(np.exp(-t * (3 + 4 * k)) / k * np.sin(2 * np.pi * f * k * t) for k in range(1, 7))
    return np.asarray(out) * _adsr(t.size, 0.002, 0.2, int(seconds * SR))


def bass(note: int, seconds: float) -> Wave:
    t = _t(seconds + 0.08)
    f = hz(note)
    tone = np.sin(2 * np.pi * f * t) + 0.25 * np.sin(2 * np.pi * 2 * f * t) + 0.08 * np.sin(2 * np.pi * 3 * f * t)
    return tone * _adsr(t.size, 0.008, 0.08, int(seconds * SR)) * np.exp(-t / 2.5)


def kick(deep: float = 1.0) -> Wave:
    t = _t(0.45)
    freq = 45 + 80 * np.exp(-t / 0.04) * deep
    phase = 2 * np.pi * np.cumsum(freq) / SR
    return np.sin(phase) * np.exp(-t / 0.16) * _adsr(t.size, 0.002, 0.05, t.size - int(0.05 * SR))


def _band(x: Wave, lo: float, hi: float) -> Wave:
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1 / SR)
    spec *= 1 / (1 + (lo / np.maximum(f, 1)) ** 4) / (1 + (f / hi) ** 4)
    return np.fft.irfft(spec, x.size)


def snare(song: Song) -> Wave:
    t = _t(0.3)
    body = 0.5 * np.sin(2 * np.pi * 185 * t) * np.exp(-t / 0.05)
    rattle = _band(song.noise(t.size), 1200, 7000) * np.exp(-t / 0.07)
    return (body + 1.6 * rattle) * _adsr(t.size, 0.001, 0.05, t.size - int(0.05 * SR))


def hat(song: Song, open_: bool = False) -> Wave:
    t = _t(0.25 if open_ else 0.08)
    x = _band(song.noise(t.size), 7000, 16000) * np.exp(-t / (0.08 if open_ else 0.018))
    return x * _adsr(t.size, 0.001, 0.02, t.size - int(0.02 * SR))


def tom(song: Song, note: int) -> Wave:
    t = _t(1.2)
    f = hz(note) * (1 + 0.5 * np.exp(-t / 0.05))
    body = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / 0.35)
    skin = _band(song.noise(t.size), 200, 2500) * np.exp(-t / 0.04)
    return (body + 0.4 * skin) * _adsr(t.size, 0.002, 0.1, t.size - int(0.1 * SR))


# -- whole-track processing (circular) -------------------------------------------------------------------


def _lowpass_curve(n: int, cutoff: float) -> Wave:
    f = np.fft.rfftfreq(n, 1 / SR)
    return 1 / (1 + (f / cutoff) ** 4)


def _highpass_curve(n: int, cutoff: float) -> Wave:
    f = np.fft.rfftfreq(n, 1 / SR)
    return 1 / (1 + (cutoff / np.maximum(f, 1.0)) ** 4)


def _reverb_response(n: int, seconds: float, rng: np.random.Generator) -> Spectrum:
    """The spectrum of a circular reverb: decaying noise, different left and right (width), darkened,
    and without lows (the kick and the bass stay dry)."""
    m = int(seconds * SR)
    t = np.arange(m) / SR
    ir = np.zeros((2, n), dtype=np.float32)
    ir[:, :m] = rng.standard_normal((2, m)) * np.exp(-t * 6.9 / seconds) * np.sqrt(1 / (m * 0.15))
    ir[:, : int(0.012 * SR)] = 0  # a short pre-delay
    shape = _lowpass_curve(n, 5000) * _highpass_curve(n, 300)
    return (np.fft.rfft(ir, axis=-1) * shape).astype(np.complex64)


def render(recipe: Recipe, seed: int = 7) -> Spectrum:
    """The track as the spectrum of its stereo samples (2, n // 2 + 1), not yet at its final loudness:
    the loudness is measured and the samples made from it (one inverse FFT each)."""
    song = Song(recipe, seed)
    recipe.play(song)
    n = song.n
    dry = np.fft.rfft(song.mix, axis=-1)
    spec = dry * (1 + np.float32(0.35) * _reverb_response(n, 2.2 if "epic" in recipe.moods else 1.6, song.rng))
    if "lofi" in recipe.moods:  # darker, with a faint hiss
        hiss = song.rng.standard_normal(spec.shape) + 1j * song.rng.standard_normal(spec.shape)
        spec = spec * _lowpass_curve(n, 4200) + 0.0015 * np.sqrt(n / 2) * hiss * _lowpass_curve(n, 6000)
    spec[:, 0] = 0  # no DC
    return np.asarray(spec, dtype=np.complex64)


# -- the patterns ----------------------------------------------------------------------------------------------


def _lofi(s: Song) -> None:
    swing = 0.12
    for bar in range(s.r.bars):
        ch = s.chord(bar)
        for i, n in enumerate(ch):  # chords struck lazily, slightly rolled
            s.put(s.sound(keys, n, 3.6, 1.8), s.at(bar, 0.03 * i), 0.22, pan=-0.3 + 0.2 * i)
        s.put(s.sound(keys, ch[-1] + 12, 0.5, 0.6), s.at(bar, 2.5), 0.12, pan=0.4)
        root = ch[0] - 12
        for beat, length, note in ((0, 1.4, root), (1.5, 0.45, root), (2.5, 1.3, root + 7)):
            s.put(s.sound(bass, note, length * 60 / s.r.bpm),
                  s.at(bar, beat), 0.5)
        s.put(s.sound(kick, 0.8), s.at(bar, 0), 0.75)
        s.put(s.sound(kick, 0.8), s.at(bar, 2.5), 0.6)
        for beat in (1, 3):
            s.put(s.sound(snare, s), s.at(bar, beat), 0.32, pan=0.05)
        for eighth in range(8):
            beat = eighth / 2 + (swing if eighth % 2 else 0)
            s.put(s.sound(hat, s), s.at(bar, beat), 0.16 if eighth % 2 else 0.22, pan=0.3)


def _relaxed(s: Song) -> None:
    for bar in range(s.r.bars):
        ch = s.chord(bar)
        for n in ch:
            s.put(s.sound(pad, n, 4 * 60 / s.r.bpm, 0.35), s.at(bar, 0), 0.17)
        arp = [ch[0] + 12, ch[1] + 12, ch[2] + 12, ch[1] + 12]
        for i in range(8):
            n = arp[i % 4] + (12 if i == 6 else 0)
            s.put(s.sound(keys, n, 0.6, 0.9), s.at(bar, i / 2), 0.11 if i % 2 else 0.14,
                  pan=0.5 * np.sin(i))
        s.put(s.sound(bass, ch[0] - 12, 3.8 * 60 / s.r.bpm), s.at(bar, 0), 0.42)
        s.put(s.sound(kick, 0.6), s.at(bar, 0), 0.35)


def _upbeat(s: Song) -> None:
    for bar in range(s.r.bars):
        ch = s.chord(bar)
        for beat in (0, 1.5, 2.5, 3.5):  # off-beat stabs
            for i, n in enumerate(ch):
                s.put(s.sound(pluck, n + 12, 0.3), s.at(bar, beat), 0.13, pan=-0.4 + 0.4 * i)
        melody = (0, 2, 1, 2, 0, 1, 2, 1)
        for i, j in enumerate(melody):
            n = ch[j] + 24
            s.put(s.sound(pluck, n, 0.18), s.at(bar, i / 2 + 0.25 * (bar % 2)),
                  0.07, pan=0.35)
        root = ch[0] - 12
        for i in range(8):
            note = root + (12 if i % 2 else 0)
            s.put(s.sound(bass, note, 0.42 * 60 / s.r.bpm), s.at(bar, i / 2), 0.42)
        for beat in range(4):
            s.put(s.sound(kick, 1.0), s.at(bar, beat), 0.7)
            s.put(s.sound(hat, s, True), s.at(bar, beat + 0.5), 0.2, pan=0.25)
        for beat in (1, 3):
            s.put(s.sound(snare, s), s.at(bar, beat), 0.42)
        for i in range(16):
            s.put(s.sound(hat, s), s.at(bar, i / 4), 0.09 if i % 2 else 0.12, pan=-0.25)


def _epic(s: Song) -> None:
    for bar in range(s.r.bars):
        ch = s.chord(bar)
        voices = [ch[0] - 12, *ch, ch[0] + 12]
        for n in voices:
            s.put(s.sound(pad, n, 4 * 60 / s.r.bpm, 0.6), s.at(bar, 0), 0.13)
        if bar % 2 == 1:
            for i, n in enumerate(ch):  # a brass-like swell
                s.put(s.sound(pad, n + 12, 1.9 * 60 / s.r.bpm, 0.75), s.at(bar, 2),
                      0.09, pan=-0.3 + 0.3 * i)
        s.put(s.sound(bass, ch[0] - 24, 3.9 * 60 / s.r.bpm), s.at(bar, 0), 0.5)
        for beat, note, gain in ((0, 41, 0.55), (1.5, 45, 0.35), (2, 41, 0.45), (3, 48, 0.3), (3.5, 45, 0.35)):
            s.put(s.sound(tom, s, note), s.at(bar, beat), gain, pan=(note - 45) / 10)
        s.put(s.sound(kick, 1.2), s.at(bar, 0), 0.6)
        if bar % 4 == 3:
            for i in range(4):
                s.put(s.sound(snare, s), s.at(bar, 2 + i / 2), 0.12 + 0.05 * i)


def _sad(s: Song) -> None:
    for bar in range(s.r.bars):
        ch = s.chord(bar)
        for n in ch:
            s.put(s.sound(pad, n - 12, 4 * 60 / s.r.bpm, 0.3), s.at(bar, 0), 0.12)
        for i, n in enumerate((ch[0], ch[2], ch[1] + 12, ch[2])):
            s.put(s.sound(keys, n + 12, 1.2, 1.6), s.at(bar, i), 0.15, pan=-0.2 + 0.13 * i)
        top = ch[2] + 24 if bar % 2 == 0 else ch[1] + 24
        s.put(s.sound(keys, top, 2.0, 1.6), s.at(bar, 0.5), 0.08, pan=0.3)
        s.put(s.sound(bass, ch[0] - 12, 3.8 * 60 / s.r.bpm), s.at(bar, 0), 0.35)


# MIDI: C4 = 60. One chord a bar; the progression repeats over the bars.
RECIPES: tuple[Recipe, ...] = (
    Recipe("lofi-late-night", "Late Night Notes", "深夜笔记", ("lofi",), 80, 16,
           ((62, 65, 69, 72), (55, 59, 62, 65), (60, 64, 67, 71), (57, 60, 64, 67)), _lofi),
    Recipe("relaxed-sunday", "Sunday Drift", "周日漫游", ("relaxed",), 72, 12,
           ((60, 64, 67), (55, 59, 62), (57, 60, 64), (53, 57, 60)), _relaxed),
    Recipe("upbeat-sunny", "Sunny Steps", "阳光步伐", ("upbeat",), 120, 24,
           ((60, 64, 67), (67, 71, 74), (57, 60, 64), (65, 69, 72)), _upbeat),
    Recipe("epic-horizon", "Over the Horizon", "越过地平线", ("epic",), 90, 16,
           ((50, 53, 57), (46, 50, 53), (48, 52, 55), (45, 49, 52)), _epic),
    Recipe("sad-letters", "Old Letters", "旧信", ("sad",), 75, 12,
           ((57, 60, 64), (53, 57, 60), (48, 52, 55), (55, 59, 62)), _sad),
)
