"""File sizes as people read them: megabytes with one decimal where it matters ("20.4 MB", "20 MB")."""

from __future__ import annotations

import math

MB = 1024 * 1024


def megabytes(size: int, *, up: bool = False) -> str:
    """``size`` bytes in MB, one decimal, none when whole. ``up`` rounds up: a file over a limit never
    reads as the limit itself ("20.1 MB, but up to 20 MB")."""
    tenths = size / MB * 10
    value = (math.ceil(tenths - 1e-9) if up else round(tenths)) / 10
    return f"{value:.1f}".removesuffix(".0")


def disk_size(size: int) -> str:
    """A size on disk: ``35.2 MB`` below a gigabyte, ``1.2 GB`` from there."""
    if size < 1024**3:
        return f"{megabytes(size)} MB"
    return f"{size / 1024**3:.1f}".removesuffix(".0") + " GB"
