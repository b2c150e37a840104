"""The files an engine's renders directory holds, as a test reads them: besides the exports' MP4s it keeps
render-ahead files (an export of a draft already rendered is answered with one) and previews with their
proxies."""

from __future__ import annotations

from pathlib import Path

from engine.preview import PREVIEW_PREFIX


def exported(engine_dir: Path) -> Path:
    """The MP4 the last export delivered: an export's own render, or the render-ahead file it was answered
    with; not a preview, a preview's proxy, nor a file still being written."""
    files = [p for p in (engine_dir / "renders").glob("*.mp4")
             if not p.name.startswith(PREVIEW_PREFIX) and ".part" not in p.name]
    assert files, f"no exported MP4 in {engine_dir / 'renders'}"
    return max(files, key=lambda p: p.stat().st_mtime)
