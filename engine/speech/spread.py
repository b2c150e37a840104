"""Known words laid over speech regions when they cannot be aligned: by character count, each word inside one
region, so no word is ever shown over silence."""

from __future__ import annotations

import unicodedata

from .transcript import Word


def weight(token: str) -> int:
    """How long a token takes to say, in characters (punctuation is silent; at least 1)."""
    return max(1, sum(1 for ch in token if not unicodedata.category(ch).startswith(("P", "S", "Z"))))


def spread(tokens: list[str], regions: list[tuple[float, float]]) -> list[Word]:
    """Words timed over ``regions`` in proportion to their length; each word falls inside one region."""
    regions = [(s, e) for s, e in regions if e > s]
    if not tokens or not regions:
        return []
    total_speech = sum(e - s for s, e in regions)
    weights = [weight(t) for t in tokens]
    total_weight = sum(weights)
    # where each word's middle falls on the speech-only clock decides its region
    buckets: list[list[int]] = [[] for _ in regions]
    done = 0
    for i, w in enumerate(weights):
        middle = (done + w / 2) / total_weight * total_speech
        done += w
        clock = 0.0
        for r, (s, e) in enumerate(regions):
            clock += e - s
            if middle <= clock or r == len(regions) - 1:
                buckets[r].append(i)
                break
    words: list[Word] = []
    for (s, e), members in zip(regions, buckets, strict=True):
        share = sum(weights[i] for i in members)
        t = s
        for i in members:
            end = t + (e - s) * weights[i] / share
            words.append(Word(tokens[i], round(t, 3), round(end, 3), 1.0))
            t = end
    return words
