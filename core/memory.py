"""The process's heap as the C allocator sees it, and giving its free pages back to the system.

glibc keeps what a long-running server frees in its heaps (one per thread that allocated) instead of handing
it back: an open bot's RSS creeps up for hours while what it holds stays nearly flat (the soak, 30 minutes:
+5.1 MB / 10 min "free but kept" beside +1.3 MB in use). ``give_back`` (``malloc_trim``) returns those pages
in a few milliseconds; the bot's heartbeat and the engine's pruner call it now and then. ``few_heaps`` keeps
the number of those heaps small (two), so that what one thread frees another reuses; the bot and the engine
set it as they start. Where the C library is not glibc these are no-ops.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)
HEAPS = 2  # glibc's default is 8 per core: each thread's frees stay in its own heap


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    except (OSError, AttributeError):
        return None
    return libc


def heap_mb() -> tuple[float, float] | None:
    """MB the allocator has handed out, and MB it holds free; None where it cannot tell."""
    libc = _glibc()
    if libc is None:
        return None
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / 1e6, info.fordblks / 1e6


def few_heaps(heaps: int = HEAPS) -> bool:
    """Let the allocator keep at most ``heaps`` heaps (``M_ARENA_MAX``; ``MALLOC_ARENA_MAX`` in the
    environment does the same at start and wins over this), for the threads created from now on; whether it
    took. Call it before the server starts its threads."""
    libc = _glibc()
    if libc is None or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    return bool(libc.mallopt(M_ARENA_MAX, heaps))


def give_back() -> bool:
    """Return the allocator's free pages to the system; whether any were."""
    libc = _glibc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
