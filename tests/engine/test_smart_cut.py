"""Rendering only what changed: a trimmed or cut draft copies the source's untouched GOPs and its frames
match the full re-encode; a draft with a filter over the whole frame renders as today."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import smart_cut
from engine.render import SourceFile, build_command, render
from engine.settings import EngineSettings
from engine.video_check import decode_errors, duration, frame_count, psnr
from tests.clips import phone_clip

pytestmark = pytest.mark.slow
SIZE = (320, 240)


@pytest.fixture(scope="module")
def gop_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return phone_clip(tmp_path_factory.mktemp("gop") / "phone.mp4", 10, SIZE)


def _draft(pieces: list[tuple[int, int]], texts: list[tuple[int, int, str]] = (), **top: object) -> dict:  # type: ignore[assignment]
    st, video = 0, []
    for src_in, d in pieces:
        video.append({"st": st, "d": d, "m": {"src": "f1", "in": src_in, "speed": 1.0, "vol": 1.0}})
        st += d
    tracks = [{"tt": 0, "sg": video}]
    if texts:
        tracks.append({"tt": 7, "sg": [{"st": a, "d": d, "m": {"text": t, "kind": "title"}} for a, d, t in texts]})
    return {"t": tracks, **top}


@pytest.fixture(scope="module")
def plain_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No B-frames: each frame is stored in the order it shows."""
    return phone_clip(tmp_path_factory.mktemp("plain") / "phone.mp4", 10, SIZE, bframes=False)


async def _both(draft: dict, clip: Path, tmp: Path) -> tuple[bool, Path, Path]:
    sources = {"f1": SourceFile(clip, "video", 10.0, *SIZE, True)}
    full, copied = tmp / "full.mp4", tmp / "copied.mp4"
    await render(build_command(draft, sources, full, tmp / "w1"))
    cmd = build_command(draft, sources, copied, tmp / "w2")
    settings = EngineSettings(data_dir=tmp / "data")
    did = await smart_cut.render_copying(draft, sources, cmd, copied, tmp / "w2", settings)
    return did, full, copied


def _assert_same(copied: Path, full: Path) -> None:
    assert decode_errors(copied) == ""
    assert frame_count(copied) == frame_count(full)
    assert abs(duration(copied) - duration(full)) <= 1 / 30 + 1e-3
    assert psnr(copied, full, every=1) >= 30.0  # every frame: one frame off would fall far below


async def test_a_trim_with_a_title_is_copied_and_its_frames_match_the_full_render(gop_clip: Path, tmp_path: Path) -> None:
    did, full, copied = await _both(_draft([(2500, 7500)], [(0, 2000, "Weekend")]), gop_clip, tmp_path)
    assert did
    _assert_same(copied, full)


async def test_cut_pauses_pieces_are_copied_frame_exact(gop_clip: Path, tmp_path: Path) -> None:
    did, full, copied = await _both(_draft([(0, 2400), (3717, 2900), (7250, 2750)]), gop_clip, tmp_path)
    assert did
    _assert_same(copied, full)


async def test_the_plan_copies_whole_gops_only(gop_clip: Path) -> None:
    facts = await smart_cut.stream_facts(gop_clip)
    assert facts is not None and facts.keyframes[:3] == (0, 30, 60) and facts.frames == 300
    draft = _draft([(2500, 7500)])
    sources = {"f1": SourceFile(gop_clip, "video", 10.0, *SIZE, True)}
    plan = smart_cut.plan(draft, sources, build_command(draft, sources, Path("o.mp4"), Path("w")), {"f1": facts})
    assert plan is not None
    assert [(p.copy, p.start, p.count) for p in plan.pieces] == [(False, 75, 15), (True, 90, 210)]


async def test_without_b_frames_a_gops_head_up_to_a_cut_is_copied_too(plain_clip: Path, tmp_path: Path) -> None:
    facts = await smart_cut.stream_facts(plain_clip)
    assert facts is not None and facts.reorder == 0
    draft = _draft([(0, 2400), (3717, 2900), (7250, 2750)])  # cut pauses: frames 0-71, 112-198, 218-299
    sources = {"f1": SourceFile(plain_clip, "video", 10.0, *SIZE, True)}
    plan = smart_cut.plan(draft, sources, build_command(draft, sources, Path("o.mp4"), Path("w")), {"f1": facts})
    assert plan is not None
    assert [(p.copy, p.start, p.count) for p in plan.pieces] == [
        (True, 0, 72), (False, 112, 8), (True, 120, 79), (False, 218, 22), (True, 240, 60)]  # heads 60-71, 180-198
    did, full, copied = await _both(draft, plain_clip, tmp_path)
    assert did
    _assert_same(copied, full)


async def test_with_b_frames_a_gops_head_copies_up_to_its_last_clean_end_before_a_cut(
        gop_clip: Path, tmp_path: Path) -> None:
    facts = await smart_cut.stream_facts(gop_clip)
    assert facts is not None and facts.reorder > 0 and facts.heads
    draft = _draft([(0, 2400), (3717, 2900), (7250, 2750)])
    sources = {"f1": SourceFile(gop_clip, "video", 10.0, *SIZE, True)}
    plan = smart_cut.plan(draft, sources, build_command(draft, sources, Path("o.mp4"), Path("w")), {"f1": facts})
    assert plan is not None
    whole_gops = sum(1 for k in facts.keyframes if k + 30 <= 72) * 30  # frames 0-71: what whole GOPs held
    first_segment = [p for p in plan.pieces if p.start < 72]
    assert first_segment[0].copy and whole_gops < first_segment[0].count < 72  # the head of 60-71 copied too
    for piece in plan.pieces:
        if piece.copy:  # a copy starts on a keyframe and ends on one or on a clean head
            end = piece.start + piece.count
            assert piece.start in facts.keyframes and (end in facts.keyframes or end in facts.heads or end == 300)
    did, full, copied = await _both(draft, gop_clip, tmp_path)
    assert did
    _assert_same(copied, full)  # every frame, decoded cleanly


async def test_a_whole_frame_filter_renders_as_today(gop_clip: Path, tmp_path: Path) -> None:
    for draft in (_draft([(2500, 7500)], fx={"look": "warm"}), _draft([(2500, 7500)], fx={"fade_in": 500})):
        sources = {"f1": SourceFile(gop_clip, "video", 10.0, *SIZE, True)}
        cmd = build_command(draft, sources, tmp_path / "o.mp4", tmp_path / "w")
        settings = EngineSettings(data_dir=tmp_path / "data")
        assert not await smart_cut.render_copying(draft, sources, cmd, tmp_path / "o.mp4", tmp_path / "w", settings)
        assert not (tmp_path / "o.mp4").exists()
