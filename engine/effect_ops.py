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

from . import captions as cap
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
        "caption_style",
        "caption_fix",
        "remove_captions",
        "watermark",
        "output",
        "bars",
        "boomerang",
        "speed_range",
    }
)
CINEMA_BARS = 2.39  # "add black bars" on a landscape canvas
PORTRAIT_BARS = 16 / 9  # ... and on a vertical or square one: a wide picture in the middle


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
            lost = bool(ef.caption_segments(d)) and not ef.caption_segments(new)
            return Applied(
                new,
                f"The video now plays backwards ({_s(dr.total_ms(new))} s)."
                + (" The captions were taken off: speech played backwards has no words (undo brings them back)." if lost else ""),
                f"视频已改为倒放（{_s(dr.total_ms(new))}秒）。"
                + ("倒放的语音没有可读的字幕，字幕已去掉（撤销可恢复）。" if lost else ""),
            )
        return Applied(new, "The video plays forwards again.", "视频已恢复正放。")
    if name in ("caption_style", "caption_fix", "remove_captions"):
        return _captions(name, args, d)
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
    if name == "bars":
        return _bars(args, d, media)
    if name == "boomerang":
        try:
            new = ef.boomerang(d)
        except ValueError:
            raise Refused("The video is too long to play twice.", "视频太长，无法来回播放。") from None
        return Applied(
            new,
            f"Boomerang: the video plays forwards, then backwards ({_s(dr.total_ms(new))} s).",
            f"已改为来回播放：先正放再倒放（共{_s(dr.total_ms(new))}秒）。",
        )
    if name == "speed_range":
        return _speed_range(args, d)
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


def _canvas_ratio(d: dr.Draft, media: Sequence[dict[str, Any]]) -> float:
    cv = d.get("cv")
    w, h = (dr._num(cv.get("w"), 0), dr._num(cv.get("h"), 0)) if isinstance(cv, dict) else (0.0, 0.0)
    if not (w and h):
        video = next((m for m in media if m.get("file_type") == "video"), {})
        w, h = dr._num(video.get("width"), 16), dr._num(video.get("height"), 9)
        if ef.orientation(d)[0] in (90, 270):
            w, h = h, w
    return w / h if w and h else 16 / 9


def _bars(args: dict[str, Any], d: dr.Draft, media: Sequence[dict[str, Any]]) -> Applied:
    ratio = _num(args, "ratio")
    if ratio == 0:
        return Applied(ef.set_bars(d, None), "Black bars removed.", "已去掉黑边。")
    canvas = _canvas_ratio(d, media)
    if ratio is None:
        ratio = CINEMA_BARS if canvas > 1.2 else PORTRAIT_BARS
    if not ef.BARS_RANGE[0] <= ratio <= ef.BARS_RANGE[1] or abs(ratio - canvas) < 0.02:
        raise Refused(
            "Say the shape to leave between the bars, e.g. “letterbox 2.39:1” or “pillarbox 4:3”.",
            "请说明黑边之间留下的画面比例，例如“2.39:1黑边”或“4:3左右黑边”。",
        )
    ratio = ef.bars_within(ratio, canvas)
    new = ef.set_bars(d, ratio)
    side_en, side_zh = ("top and bottom", "上下") if ratio > canvas else ("left and right", "左右")
    return Applied(
        new,
        f"Black bars {side_en}: the picture is {ratio:.3g}:1 inside the frame.",
        f"已加{side_zh}黑边：画面比例{ratio:.3g}:1。",
    )


def _speed_range(args: dict[str, Any], d: dr.Draft) -> Applied:
    start, end, factor = _num(args, "start", 0) or 0.0, _num(args, "end"), _num(args, "factor", 0.5) or 0.5
    total = dr.total_ms(d)
    if end is None or end <= start or (total and start * 1000 >= total):
        raise Refused(
            f"Say which part, within the {_s(total)} s video, e.g. “slow-mo 2-4 s”.",
            f"请说明{_s(total)}秒视频中的哪一段，例如“2到4秒慢放”。",
        )
    if not 0.25 <= factor <= 4.0:
        raise Refused("The speed can be 0.25x to 4x.", "速度可以是0.25到4倍。")
    e_ms = min(int(end * 1000), total) if total else int(end * 1000)
    new = dr.set_speed_range(d, int(start * 1000), e_ms, factor)
    what_en = "slow motion" if factor < 1 else "sped up"
    what_zh = "慢放" if factor < 1 else "加速"
    return Applied(
        new,
        f"{_s(start * 1000)}-{_s(e_ms)} s {what_en} at {factor:g}x; the video is now {_s(dr.total_ms(new))} s.",
        f"已将{_s(start * 1000)}-{_s(e_ms)}秒{what_zh}为{factor:g}倍速，视频现在{_s(dr.total_ms(new))}秒。",
    )


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


NO_CAPTIONS = (
    "There are no captions yet: say “caption what I say”, or “captions: …” with your words.",
    "还没有字幕：说“加字幕”，或者说“字幕：……”加上你的原话。",
)


def _captions(name: str, args: dict[str, Any], d: dr.Draft) -> Applied:
    """The look, a fixed word, or the removal of the captions."""
    if not ef.caption_segments(d):
        if name == "remove_captions" and ef.subtitle_count(d):
            return Applied(ef.remove_captions(d), "Subtitles removed.", "已去掉字幕。")
        if not (name == "caption_style" and ef.subtitle_count(d)):  # subtitles wear the caption look too
            raise Refused(*NO_CAPTIONS)
    if name == "remove_captions":
        return Applied(ef.remove_captions(d), "Captions removed.", "已去掉字幕。")
    if name == "caption_fix":
        old, new_word = str(args.get("old", "")).strip(), str(args.get("new", "")).strip()
        if not old:
            raise Refused("Say which word to change, e.g. change 'teh' to 'the' in the captions.",
                          "请说明要改哪个词，例如：字幕里的“在”改成“再”。")
        new, n = ef.fix_caption_words(d, old, new_word)
        if n == 0:
            raise Refused(f"The captions do not say “{old}”.", f"字幕里没有“{old}”。")
        return Applied(
            new,
            f"Changed “{old}” to “{new_word}” in {n} caption{'s' if n != 1 else ''}.",
            f"已把字幕里的“{old}”改成“{new_word}”（{n}处）。",
        )
    pos = args.get("pos")
    scale = _num(args, "scale")
    karaoke = args.get("karaoke")
    if pos is None and scale is None and karaoke is None:
        raise Refused("Say how the captions should change: bigger, smaller, top, bottom or word by word.",
                      "请说明字幕怎么改：大一点、小一点、放上面、放下面或逐字高亮。")
    if pos is not None and pos not in cap.POSITIONS:
        raise Refused("Captions can go at the top or the bottom.", "字幕可以放在上面或下面。")
    if scale is not None and not 0.2 <= scale <= 5:
        raise Refused("Make the captions bigger or smaller step by step.", "请逐步调大或调小字幕。")
    new = ef.caption_style(d, pos=pos, scale_by=scale, karaoke=None if karaoke is None else bool(karaoke))
    st = cap.style_of(ef.effects(new))
    en = [f"at the {st['pos']}", f"size {round(st['scale'] * 100)}%"]
    zh = ["在" + ("上方" if st["pos"] == "top" else "下方"), f"大小{round(st['scale'] * 100)}%"]
    if st["karaoke"]:
        en.append("the spoken word highlighted")
        zh.append("逐字高亮")
    return Applied(new, "Captions: " + ", ".join(en) + ".", "字幕：" + "，".join(zh) + "。")
