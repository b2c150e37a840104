"""Giving the allocator's free pages back: an open bot's resident memory follows what it holds."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.memory import give_back, heap_mb

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or heap_mb() is None,
                                reason="glibc's allocator only (mallinfo2, malloc_trim)")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:"))


def test_memory_freed_between_what_is_kept_goes_back_to_the_system() -> None:
    blocks = [bytearray(4000) for _ in range(40_000)]  # 160 MB of heap in small pieces, a few kept
    kept = blocks[::1000]
    del blocks
    gc.collect()
    _, free_held = heap_mb() or (0.0, 0.0)
    assert free_held > 100  # freed, but the allocator keeps it: pieces still in use pin the heap
    before = rss_mb()
    assert give_back()
    assert rss_mb() < before - 100  # handed back
    assert kept  # (held until here)


HEAPS_SCRIPT = """
import ctypes, sys, threading
from core.memory import few_heaps
if sys.argv[1] == "few":
    assert few_heaps(2)
barrier = threading.Barrier(8)
def work():
    barrier.wait()  # all alive at once: each would get a heap of its own
    kept = [bytearray(200) for _ in range(2000)]
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
fp = libc.fopen(sys.argv[2].encode(), b"w")
libc.malloc_info(0, fp)
libc.fclose(fp)
print(open(sys.argv[2]).read().count("<heap nr="))
"""


def heaps_after_eight_threads(mode: str, tmp_path: Path) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    out = subprocess.run([sys.executable, "-c", HEAPS_SCRIPT, mode, str(tmp_path / f"{mode}.xml")],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return int(out.stdout.strip())


def test_threads_share_a_few_heaps(tmp_path: Path) -> None:
    assert heaps_after_eight_threads("default", tmp_path) > 2  # glibc: a heap per thread
    assert heaps_after_eight_threads("few", tmp_path) <= 2
