"""Loudness of a looping track (ITU-R BS.1770: K-weighting, 400 ms blocks, gating) and bringing it to a
target with the peaks held under a ceiling. The K-weighting is applied as its magnitude response over
the whole track (a circular filter: the track loops), which gives the same block powers as the
standard's two biquads for material much longer than their impulse responses."""

from __future__ import annotations

import numpy as np

from .synth import SR, Spectrum, Wave

TARGET_LUFS = -17.0
PEAK_CEILING_DB = -2.5  # sample peak; the true peak stays under -1 dBTP with this margin


def _biquad_gain(b: tuple[float, float, float], a: tuple[float, float, float], cos1: Wave, cos2: Wave) -> Wave:
    """|H| of a biquad at the frequencies whose cos(w) and cos(2w) are given (real arithmetic only)."""
    num = b[0] ** 2 + b[1] ** 2 + b[2] ** 2 + 2 * (b[0] * b[1] + b[1] * b[2]) * cos1 + 2 * b[0] * b[2] * cos2
    den = a[0] ** 2 + a[1] ** 2 + a[2] ** 2 + 2 * (a[0] * a[1] + a[1] * a[2]) * cos1 + 2 * a[0] * a[2] * cos2
    return np.sqrt(np.maximum(num, 0.0) / den)


def _k_curve(n: int) -> Wave:
    w = 2 * np.pi * np.fft.rfftfreq(n, 1 / SR) / SR
    cos1, cos2 = np.cos(w), np.cos(2 * w)
    shelf = _biquad_gain((1.53512485958697, -2.69169618940638, 1.19839281085285),
                         (1.0, -1.69065929318241, 0.73248077421585), cos1, cos2)
    high = _biquad_gain((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621), cos1, cos2)
    return shelf * high


def _gated(weighted: Wave) -> float:
    """Integrated loudness (LUFS) of K-weighted stereo samples (2, n)."""
    y = weighted.astype(np.float64) ** 2
    block, hop = int(0.4 * SR), int(0.1 * SR)
    power = y.sum(axis=0)  # channel weights 1.0 (L, R)
    csum = np.concatenate(([0.0], np.cumsum(power)))
    starts = np.arange(0, power.size - block + 1, hop)
    z = (csum[starts + block] - csum[starts]) / block
    lk = -0.691 + 10 * np.log10(np.maximum(z, 1e-12))
    z = z[lk > -70]
    if z.size == 0:
        return -70.0
    rel = -0.691 + 10 * np.log10(z.mean()) - 10
    kept = z[-0.691 + 10 * np.log10(z) > rel]
    return float(-0.691 + 10 * np.log10(kept.mean()))


def integrated(x: Wave) -> float:
    """Integrated loudness (LUFS) of stereo samples (2, n)."""
    n = x.shape[-1]
    return _gated(np.fft.irfft(np.fft.rfft(x, axis=-1) * _k_curve(n), n, axis=-1))


def _soft_limit(x: Wave, ceiling: float) -> Wave:
    """Round off what rises above ``ceiling`` (linear) instead of clipping it."""
    knee = ceiling * 0.8
    mag = np.abs(x)
    over = mag > knee
    out = x.copy()
    room = ceiling - knee
    out[over] = np.sign(x[over]) * (knee + room * np.tanh((mag[over] - knee) / room))
    return out


def of_spectrum(spec: Spectrum, n: int) -> float:
    """Loudness (LUFS) of a continuous track from its spectrum (Parseval; no block is gated away in
    music that never stops, so this is the integrated loudness within a few hundredths of a LU)."""
    k = np.abs(spec) * _k_curve(n)
    power = 2 * (k**2).sum(axis=-1) - k[:, 0] ** 2  # both halves of the spectrum, DC once
    return float(-0.691 + 10 * np.log10(max(float(power.sum()) / n**2, 1e-12)))


def normalise(spec: Spectrum, n: int, target: float = TARGET_LUFS) -> Wave:
    """The samples (2, n) of a track's spectrum at ``target`` LUFS, the sample peak under the ceiling."""
    ceiling = 10 ** (PEAK_CEILING_DB / 20)
    x = np.fft.irfft(spec * np.float32(10 ** ((target - of_spectrum(spec, n)) / 20)), n, axis=-1)
    if np.abs(x).max() > ceiling:  # rare: a few peaks rounded off, then measured again
        for _ in range(2):
            x = _soft_limit(x, ceiling)
            x = x * 10 ** ((target - integrated(x)) / 20)
        x = x * min(1.0, ceiling / np.abs(x).max())
    return np.asarray(x)
