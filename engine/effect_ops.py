"""The look, orientation, timing, sound, subtitle, watermark and output operations: arguments checked,
the draft edited (``engine.effects``), a sentence for the user in English and Chinese.

``EditTools`` hands any operation named in ``EFFECT_OPS`` here; a refusal raises ``Refused`` with the
sentence to show, and the draft is left as it was.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.i18n import VALUE_WORDS

from . import draft as dr
from . import effects as ef
from .subtitles import cues_from_lines, decode, parse_srt

EFFECT_OPS = frozenset(
    {
        "reverse",
        "look",
        "adjust",
        "rotate",
        "flip",
        "zoom",
        "loop",
        "resolution",
        "fps",
        "audio_fade",
        "loudnorm",
        "denoise",
        "subtitles",
        "watermark",
        "output",
    }
)


def _words(key: str) -> tuple[str, str]:
    """A look, adjustment or corner named in English and Chinese (the words the bot's state diff uses)."""
    w = VALUE_WORDS[key]
    return w["en"], w["zh"]


MAX_LOOPS = 20

ReadFile = Callable[[str], Awaitable[bytes | None]]


@dataclass(frozen=True)
class Applied:
    draft: dr.Draft
    en: str
    zh: str


class Refused(ValueError):
    """The operation cannot be applied; ``en``/``zh`` say why and what to do."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


def _s(ms: float) -> str:
    return f"{ms / 1000:.1f}".rstrip("0").rstrip(".")


def _pct(x: float) -> str:
    return f"{x * 100:+.0f}%"


def _num(args: dict[str, Any], key: str, default: float | None = None) -> float | None:
    v = args.get(key, default)
    if v is None:
        return None
    f = dr._num(v, math.nan)
    if math.isnan(f):
        raise Refused(f"{key} must be a number, not {v!r}.", f"{key} 需要是数字，而不是 {v!r}。")
    return f


def _latest(media: Sequence[dict[str, Any]], file_type: str, file_id: Any) -> dict[str, Any] | None:
    """The uploaded file with ``file_id`` (of the given type), else the last such upload."""
    typed = [m for m in media if m.get("file_type") == file_type and m.get("id")]
    if file_id:
        return next((m for m in typed if m["id"] == str(file_id)), None)
    return typed[-1] if typed else None


async def apply_effect(
    name: str, args: dict[str, Any], d: dr.Draft, media: Sequence[dict[str, Any]], read_file: ReadFile
) -> Applied:
    if name == "reverse":
        new = ef.reverse(d)
        back = any(s["m"].get("rev") for s in dr.segments(new, dr.VIDEO))
        if back:
            return Applied(
                new,
                f"The video now plays backwards ({_s(dr.total_ms(new))} s).",
                f"视频已改为倒放（{_s(dr.total_ms(new))}秒）。",
            )
        return Applied(new, "The video plays forwards again.", "视频已恢复正放。")
    if name == "look":
        look = str(args.get("name", "")).lower()
        if look == "none":
            return Applied(ef.set_look(d, "none"), "Colour look removed.", "已去除滤镜。")
        if look not in ef.LOOKS:
            en_all = ", ".join(_words(n)[0] for n in ef.LOOKS)
            zh_all = "、".join(_words(n)[1] for n in ef.LOOKS)
            raise Refused(f"I know these looks: {en_all}.", f"可用的滤镜：{zh_all}。")
        en, zh = _words(look)
        return Applied(ef.set_look(d, look), f"Look: {en}.", f"已应用{zh}滤镜。")
    if name == "adjust":
        steps = {k: _num(args, k) for k in ef.ADJUSTMENTS if args.get(k) is not None}
        steps = {k: v for k, v in steps.items() if v}
        if not steps:
            raise Refused(
                "Say what to adjust: brightness, contrast or saturation.",
                "请说明要调整亮度、对比度还是饱和度。",
            )
        new = ef.adjust(d, {k: float(v) for k, v in steps.items() if v is not None})
        now = ef.effects(new).get("adj") or {}
        en = ", ".join(f"{_words(k)[0]} {_pct(now.get(k, 0.0))}" for k in steps)
        zh = "，".join(f"{_words(k)[1]}{_pct(now.get(k, 0.0))}" for k in steps)
        return Applied(new, f"Adjusted: {en} (from the original).", f"已调整：{zh}（相对原片）。")
    if name == "rotate":
        deg = _num(args, "degrees", 90)
        if deg is None or deg % 90:
            raise Refused("I can rotate by 90, 180 or 270 degrees.", "可以旋转90、180或270度。")
        deg = int(deg) % 360
        if deg == 0:
            raise Refused("I can rotate by 90, 180 or 270 degrees.", "可以旋转90、180或270度。")
        return Applied(ef.rotate(d, deg), f"Rotated {deg}° clockwise.", f"已顺时针旋转{deg}度。")
    if name == "flip":
        axis = str(args.get("axis", "horizontal"))
        if axis not in ("horizontal", "vertical"):
            raise Refused("Flip horizontally or vertically?", "水平翻转还是垂直翻转？")
        new = ef.flip(d, axis)
        if axis == "horizontal":
            return Applied(new, "Flipped horizontally (mirrored).", "已水平翻转（镜像）。")
        return Applied(new, "Flipped vertically (upside down).", "已垂直翻转（上下颠倒）。")
    if name == "zoom":
        mode = str(args.get("mode", "punch"))
        if mode not in ("punch", "kenburns"):
            mode = "punch"
        factor = _num(args, "factor", 1.3 if mode == "punch" else 1.2) or 1.0
        new = ef.zoom(d, factor, mode)
        z = ef.effects(new).get("zoom")
        if not z:
            return Applied(new, "Zoom removed.", "已取消缩放。")
        if mode == "kenburns":
            return Applied(
                new,
                f"Slow zoom in (Ken Burns) to {z['factor']:g}x over the video.",
                f"已添加缓慢推近效果，逐渐放大到{z['factor']:g}倍。",
            )
        return Applied(
            new, f"Zoomed in {z['factor']:g}x on the centre.", f"已放大画面中心到{z['factor']:g}倍。"
        )
    if name == "loop":
        times = int(_num(args, "times", 2) or 0)
        if times < 2:
            raise Refused("Say how many times to play it, 2 or more.", "请说明播放几遍（至少2遍）。")
        times = min(times, MAX_LOOPS)
        new = ef.loop(d, times)
        one = dr.total_ms(d)
        done = round(dr.total_ms(new) / one) if one else 1
        return Applied(
            new,
            f"The video now plays {done} times in a row ({_s(dr.total_ms(new))} s).",
            f"视频已循环播放{done}遍（共{_s(dr.total_ms(new))}秒）。",
        )
    if name == "resolution":
        height = _num(args, "height")
        if height is None or not ef.RES_RANGE[0] <= height <= ef.RES_RANGE[1]:
            raise Refused(
                "Choose a resolution such as 480p, 720p or 1080p.", "请选择分辨率，例如480p、720p或1080p。"
            )
        new = ef.set_resolution(d, int(height))
        return Applied(new, f"Resolution set to {int(height)}p.", f"分辨率已设为{int(height)}p。")
    if name == "fps":
        fps = _num(args, "fps")
        if fps is None or not ef.FPS_RANGE[0] <= fps <= ef.FPS_RANGE[1]:
            raise Refused("Choose a frame rate between 1 and 60 fps.", "请选择1到60之间的帧率。")
        return Applied(ef.set_fps(d, fps), f"Frame rate set to {fps:g} fps.", f"帧率已设为{fps:g}帧/秒。")
    if name == "audio_fade":
        fin, fout = _num(args, "in"), _num(args, "out")
        if not fin and not fout:
            fin = fout = 1.0
        total = dr.total_ms(d)
        cap = (total / 2000) if total else 10.0
        fin = min(fin, cap) if fin else fin
        fout = min(fout, cap) if fout else fout
        new = ef.audio_fade(d, int(fin * 1000) if fin else None, int(fout * 1000) if fout else None)
        en = " and ".join(
            p for p in (f"fade-in ({fin:g} s)" if fin else "", f"fade-out ({fout:g} s)" if fout else "") if p
        )
        zh = "和".join(
            p for p in (f"淡入（{fin:g}秒）" if fin else "", f"淡出（{fout:g}秒）" if fout else "") if p
        )
        return Applied(new, f"Added a sound {en}.", f"已添加声音{zh}。")
    if name == "loudnorm":
        return Applied(
            ef.set_flag(d, "loudnorm"),
            "Loudness normalised (EBU R128, -16 LUFS).",
            "已统一响度（EBU R128，-16 LUFS）。",
        )
    if name == "denoise":
        return Applied(ef.set_flag(d, "denoise"), "Voice noise reduction is on.", "已开启人声降噪。")
    if name == "subtitles":
        return await _subtitles(args, d, media, read_file)
    if name == "watermark":
        return _watermark(args, d, media)
    if name == "output":
        return _output(args, d, media)
    raise Refused(f"Unknown operation {name}.", f"未知操作 {name}。")


async def _subtitles(
    args: dict[str, Any], d: dr.Draft, media: Sequence[dict[str, Any]], read_file: ReadFile
) -> Applied:
    if args.get("lines"):
        try:
            cues = cues_from_lines(args["lines"])
        except (KeyError, TypeError, ValueError) as exc:
            raise Refused(
                f"I could not read those subtitle lines ({exc}). Give each a time, e.g. 0-2s Hello.",
                f"无法读取这些字幕（{exc}）。请给每行加上时间，例如 0-2秒 你好。",
            ) from None
        source = ""
    else:
        info = _latest(media, "subtitle", args.get("file_id"))
        if info is None:
            raise Refused(
                "Upload a .srt subtitle file first, or type the lines with times (e.g. 0-2s Hello).",
                "请先上传 .srt 字幕文件，或输入带时间的字幕（例如 0-2秒 你好）。",
            )
        data = await read_file(str(info["id"]))
        try:
            cues = parse_srt(decode(data or b""))
        except ValueError:
            raise Refused(
                f"{info.get('filename')} has no subtitles I can read.",
                f"{info.get('filename')} 中没有可读取的字幕。",
            ) from None
        source = str(info.get("filename", ""))
    new = ef.set_subtitles(d, cues)
    n = ef.subtitle_count(new)
    if n == 0:
        raise Refused(
            f"None of the subtitles fall within the video ({_s(dr.total_ms(d))} s).",
            f"没有字幕落在视频时长（{_s(dr.total_ms(d))}秒）之内。",
        )
    src_en, src_zh = (f" from {source}", f"（来自 {source}）") if source else ("", "")
    return Applied(new, f"Added {n} subtitle line(s){src_en}.", f"已添加{n}条字幕{src_zh}。")


def _watermark(args: dict[str, Any], d: dr.Draft, media: Sequence[dict[str, Any]]) -> Applied:
    info = _latest(media, "image", args.get("file_id"))
    if info is None:
        raise Refused("Upload the logo image (png or jpg) first.", "请先上传标志图片（png 或 jpg）。")
    corner = str(args.get("corner") or "bottom-right")
    if corner not in ef.CORNERS:
        corner = "bottom-right"
    opacity = _num(args, "opacity", 0.8) or 0.8
    opacity = opacity / 100 if opacity > 1 else opacity
    size = _num(args, "size", 0.15) or 0.15
    size = size / 100 if size > 1 else size
    new = ef.watermark(d, str(info["id"]), corner, opacity, size)
    wm = ef.effects(new)["wm"]
    en_c, zh_c = _words(corner)
    return Applied(
        new,
        f"Logo {info.get('filename')} added at the {en_c} ({round(wm['opacity'] * 100)}% opacity, "
        f"{round(wm['size'] * 100)}% of the width).",
        f"已在{zh_c}添加标志 {info.get('filename')}（不透明度{round(wm['opacity'] * 100)}%，"
        f"宽度{round(wm['size'] * 100)}%）。",
    )


def _output(args: dict[str, Any], d: dr.Draft, media: Sequence[dict[str, Any]]) -> Applied:
    fmt = str(args.get("format", "mp4")).lower()
    fmt = {"jpg": "cover", "jpeg": "cover", "image": "cover", "audio": "mp3"}.get(fmt, fmt)
    if fmt not in ef.OUTPUT_FORMATS:
        raise Refused(
            "I can export an MP4, a GIF, the audio as MP3 or a cover image.",
            "可以导出MP4、GIF、MP3音频或封面图片。",
        )
    if fmt == "mp3":
        used = {s["m"].get("src") for s in dr.segments(d, dr.VIDEO)} | {
            s["m"].get("src") for s in dr.segments(d, dr.AUDIO)
        }
        if not any(m.get("has_audio") and m.get("id") in used for m in media):
            raise Refused("This video has no sound to extract.", "这个视频没有可提取的声音。")
    at = _num(args, "at")
    total = dr.total_ms(d)
    at_ms = None if at is None else int(max(0.0, min(at * 1000, max(0, total - 100))))
    new = ef.set_output(d, fmt, at_ms)
    texts = {
        "mp4": ("The next export will be an MP4 video.", "下次导出将生成MP4视频。"),
        "gif": ("The next export will be a GIF.", "下次导出将生成GIF动图。"),
        "mp3": ("The next export will be the sound as an MP3.", "下次导出将提取声音为MP3。"),
        "cover": (
            "The next export will be a cover image (JPEG)"
            + (f" from {_s(at_ms)} s." if at_ms is not None else ", a clear frame from the video."),
            "下次导出将生成封面图片（JPEG"
            + (f"，取自{_s(at_ms)}秒）。" if at_ms is not None else "，自动选取清晰的画面）。"),
        ),
    }
    en, zh = texts[fmt]
    return Applied(new, en, zh)
