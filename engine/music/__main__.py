"""Make the music library now (instead of at first use) and print its index: ``python -m engine.music``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from engine.settings import EngineSettings

from .library import Library


def main(argv: list[str]) -> int:
    settings = EngineSettings()
    folder = Path(argv[0]) if argv else settings.resolved_music_dir()
    start = time.perf_counter()
    tracks = Library(folder, settings.ffmpeg).tracks()
    took = time.perf_counter() - start
    for t in tracks:
        print(f"{t.file:36} {t.title:22} {'/'.join(t.moods):10} {t.bpm or '-':>4} bpm {t.seconds:6.1f} s "
              f"{t.lufs if t.lufs is not None else '-':>6} LUFS {t.true_peak if t.true_peak is not None else '-':>5} dBTP")
    print(f"{len(tracks)} tracks in {folder} ({took:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
