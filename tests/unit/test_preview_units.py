"""The preview's pure parts: its picture size, its command made from the export's, which edits call for one."""

from __future__ import annotations

from pathlib import Path

from core.conversation.previews import changes_picture
from core.nemo.draft import Draft
from engine import draft as dr
from engine.preview import PREVIEW_FPS, fit_box, preview_command, preview_draft
from engine.render import SourceFile, build_command


def test_a_portrait_preview_fits_480x854_and_a_long_one_gets_smaller_not_blockier() -> None:
    assert fit_box(1080, 1920) == (480, 854)
    assert fit_box(1920, 1080) == (854, 480)
    assert fit_box(320, 180) == (320, 180)  # never up
    assert fit_box(1080, 1920, video_kbps=650) == (480, 854)  # 8 s under 1 MB
    assert fit_box(1080, 1920, video_kbps=107) == (360, 640)  # a minute under 1 MB


def test_the_preview_command_is_the_exports_graph_with_its_own_output(tmp_path: Path) -> None:
    info = {"id": "f1", "filename": "a.mp4", "duration": 20, "file_type": "video"}
    draft = dr.cut_range(dr.append_media(dr.empty_draft(), info), 0, 2000)
    draft["fx"] = {"res": 1080}
    sources = {"f1": SourceFile(tmp_path / "a.mp4", "video", 20, 1080, 1920, True)}
    full = build_command(preview_draft(draft), sources, tmp_path / "o.mp4", tmp_path / "w", quality="low")
    cmd = preview_command(full, tmp_path / "p.mp4", audio=False)
    graph = cmd.args[cmd.args.index("-filter_complex") + 1]
    assert graph.startswith(full.args[full.args.index("-filter_complex") + 1])  # the export's graph, untouched
    assert f"fps={PREVIEW_FPS}" in graph and "[aout]anullsink" in graph
    assert "-an" in cmd.args and cmd.args[-1] == str(tmp_path / "p.mp4") and (cmd.width, cmd.height) == (480, 854)
    assert cmd.duration == 18.0
    assert preview_draft(draft)["fx"] == {"fps": PREVIEW_FPS}  # the draft's resolution is the export's business
    assert draft["fx"] == {"res": 1080}


def test_only_an_edit_that_changes_the_picture_calls_for_a_preview() -> None:
    video = {"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "a.mp4"}}]}
    before = Draft.parse({"t": [video]})
    titled = Draft.parse({"t": [video, {"tt": 7, "sg": [{"st": 0, "d": 3000, "m": {"text": "Hi"}}]}]})
    music = Draft.parse({"t": [video, {"tt": 1, "sg": [{"st": 0, "d": 10000, "m": {"title": "Lo-fi", "vol": 0.3}}]}]})
    faded = Draft.parse({"t": [video], "fx": {"afade_out": 2000}})
    grey = Draft.parse({"t": [video], "fx": {"look": "bw"}})
    assert changes_picture(before, titled) and changes_picture(before, grey)
    assert not changes_picture(before, music) and not changes_picture(before, faded)
