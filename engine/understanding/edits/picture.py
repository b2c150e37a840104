"""The picture: shape, looks, colour adjustments, rotation, zoom, resolution, frame rate."""

from __future__ import annotations

import math
import re

from .. import slots
from ..ops import Op
from .base import Clause, Note, Result, _amount, _clamp, _r, w
from .recipes import PLATFORM_WORDS, platform_in

# -- picture ---------------------------------------------------------------------------------------------------
_FIT_BLUR = w(
    r"\bblur|\bpad(?:ded|ding)?\b|\bletterbox|\bfit\b|\bno crop|\bdon'?t crop|\bwithout crop|\bwhole (?:frame|picture|video)|"
    r"模糊|留边|黑边|不裁|不要裁|填充|完整"
)
_FIT_PAD = w(r"\bblack (?:bars|borders|edges)\b|\bletterbox|\bpillarbox|黑边|黑条")
ASPECT_WORDS = w(
    r"\bvertical\b|\bportrait\b|\btik ?tok\b|\b(?:instagram|ig|insta) reels?\b|\b(?:for|as) (?:an? )?(?:ig |insta |instagram )?reels?\b|\bshorts\b|\bstory\b|\bstories\b|"
    r"竖屏|竖版|竖的|竖向|抖音|快手|小红书|视频号"
    r"|\bsquare\b|正方形|方形|方的|\bfor (?:instagram|insta|ig) (?:feed|post)\b"
    r"|\blandscape\b|\bhorizontal\b|\bwide ?screen\b|\byoutube\b|横屏|横版|宽屏|横向|b站"
    r"|(?<=\dp )wide\b|" + PLATFORM_WORDS.pattern
)


def _aspect(c: Clause, m: re.Match[str]) -> Result:
    a = slots.aspect(c.low)
    platform = platform_in(c.low)
    if a is not None:
        aspect, s, e = a
        c.claim(s, e)
    elif re.search(r"\bvertical\b|\bportrait\b|竖", c.low):
        aspect = "9:16"
    elif re.search(r"\bsquare\b|方", c.low):
        aspect = "1:1"
    elif re.search(r"\blandscape\b|\bhorizontal\b|\bwide|横|宽屏", c.low):
        aspect = "16:9"
    elif platform is not None:
        aspect = platform[0].aspect  # "make it for TikTok", "Instagram size", "抖音尺寸"
    elif re.search(r"feed|post", c.low):
        aspect = "1:1"
    else:
        aspect = "16:9"
    fit = "pad" if _FIT_PAD.search(c.whole) else "blur" if _FIT_BLUR.search(c.whole) else "crop"
    args = {"aspect": aspect, "fit": fit}
    if platform is not None:
        args["platform"] = platform[0].name  # its length limit and caption safe area come with it
        c.claim(platform[1], platform[2])
    return Op("set_aspect", args)


_PIXELS = w(r"(?<![\d.])(\d{3,4})\s?(?:x|×|\*|乘以?|by)\s?(\d{3,4})(?![\d.])(?:\s?(?:px|pixels?|像素))?")
_SHAPES = {"9:16": 9 / 16, "1:1": 1.0, "16:9": 16 / 9}


def _pixels(c: Clause, m: re.Match[str]) -> Result:
    """ "1080x1920", "1080乘1920": the nearest shape, and the short side as the resolution."""
    pw, ph = int(m.group(1)), int(m.group(2))
    if not (pw and ph):
        return None
    c.claim(m.start(), m.end())
    ratio = pw / ph
    aspect = min(_SHAPES, key=lambda k: abs(math.log(_SHAPES[k] / ratio)))
    short = min(pw, ph)
    fit = "pad" if _FIT_PAD.search(c.whole) else "blur" if _FIT_BLUR.search(c.whole) else "crop"
    ops = [Op("set_aspect", {"aspect": aspect, "fit": fit})]
    if 144 <= short <= 2160:
        ops.append(Op("resolution", {"height": short}))
    return ops


BARS_WORDS = w(
    r"\bletter-?box(?:ed|ing)?\b|\bpillar-?box(?:ed|ing)?\b|\bblack (?:bars?|borders|strips)\b|\bcinema(?:tic)? bars\b"
    r"|\bbars\b|黑边|黑条|遮幅|电影宽屏"
)
_NO_BARS = w(r"\b(?:remove|no|without|get rid of|drop|lose|take off)\b.{0,16}\b(?:bars?|letterbox|borders)\b|(?:去掉|不要|取消|删掉|删除|去除)\S{0,3}(?:黑边|黑条)")
_BARS_RATIO = w(r"(?<![\d.])(\d(?:\.\d{1,2})?|\d{2})\s?[:：/x×比]\s?(\d{1,2})(?![\d.])|(?<![\d.:])([12]\.\d{1,2})(?![\d.:])")


def _bars(c: Clause, m: re.Match[str]) -> Result:
    """Black bars as an edit of their own ("add black bars", "letterbox", "加黑边"); with a new shape they
    are how it is fitted instead ("9:16 with black bars")."""
    if _NO_BARS.search(c.low):
        c.claim(m.start(), m.end())
        return Op("bars", {"ratio": 0})
    named = re.search(r"letter-?box|pillar-?box", c.low)
    shape = slots.aspect(c.low)
    if (shape is not None and not named) or re.search(r"\bvertical\b|\bportrait\b|\bsquare\b|竖屏|横屏|方形", c.low):
        return None  # "9:16 with black bars": the new shape, padded
    c.claim(m.start(), m.end())
    r = _BARS_RATIO.search(c.low)
    if r:
        c.claim(r.start(), r.end())
        ratio = float(r.group(3)) if r.group(3) else float(r.group(1)) / max(1.0, float(r.group(2)))
        return Op("bars", {"ratio": _r(ratio)})
    if re.search(r"pillar|左右|两边|两侧", c.low):
        return Op("bars", {"ratio": 1.333})
    return Op("bars", {})


LOOKS = (
    (
        "bw",
        r"\bblack (?:and|&|n) white\b|\bb ?& ?w\b|\bb/w\b|\bbw\b|\bgr[ae]y ?scale\b|\bmonochrome\b|\bmono\b|\bno colou?rs?\b|\bcolou?rless\b|\bnoir\b|黑白|灰度|去色|灰色|灰调",
    ),
    ("sepia", r"\bsepia\b|怀旧|老照片|棕褐"),
    (
        "vintage",
        r"\bvintage\b|\bretro\b|\bold[- ](?:film|school|movie|timey)\b|\bfilm look\b|\b(?:70|80|90)s (?:style|look|vibe|aesthetic|feel|filter|film|colou?rs?)\b|复古|胶片|老电影|年代感",
    ),
    ("warm", r"\bwarm(?:er)?\b|\bgolden\b|\bsunny\b|暖色|暖调|暖一点|暖一些|偏暖|温暖|暖"),
    (
        "cool",
        r"\bcool(?:er)? (?:tones?|look|colou?rs?|filter|grade)\b|\bcooler\b|\bcold(?:er)?\b|\bblue(?:r|ish)? (?:tint|tone|look)\b|冷色|冷调|冷一点|偏冷|清冷|冷",
    ),
    ("vivid", r"\bvivid\b|\bvibrant\b|\bpunchy\b|\bpop\b|鲜艳|艳丽|鲜亮"),
    (
        "none",
        r"\bno filter\b|\bremove (?:the )?(?:filter|look|effect|colou?r)s?\b|\boriginal colou?rs?\b|\bnormal colou?rs?\b|\bcolou?r back\b|去掉滤镜|取消滤镜|原色|恢复颜色|去掉黑白|不要滤镜|恢复彩色|彩色",
    ),
)
LOOK_WORDS = w("|".join(p for _, p in LOOKS))


def _look(c: Clause, m: re.Match[str]) -> Result:
    r = _look_of(c)
    c.claim(m.start(), m.end())  # "90s style" is not 90 seconds
    return r


def _look_of(c: Clause) -> Result:
    for name, pattern in LOOKS:
        if name == "none" and re.search(pattern, c.low, re.IGNORECASE):
            return Op("look", {"name": "none"})
    for name, pattern in LOOKS:
        if re.search(pattern, c.low, re.IGNORECASE):
            if name == "vivid" and re.search(r"\bmore\b|更|一点", c.low):
                return Op("adjust", {"saturation": _r(_amount(c, 0.2))})
            return Op("look", {"name": name})
    return None


_ADJUST = (
    (
        "brightness",
        0.1,
        r"\bbright(?:er|en|ness)?\b|\blighter\b|\blighten\b|\bexposure\b|调亮|变亮|亮一点|亮一些|亮点|提亮|亮度|更亮|太暗|亮",
        r"\bdark(?:er|en)?\b|\bdim(?:mer)?\b|\btoo bright\b|\blower (?:the )?brightness|调暗|变暗|暗一点|暗一些|暗点|压暗|更暗|太亮|暗",
    ),
    (
        "contrast",
        0.2,
        r"\bcontrast\b|对比度|对比",
        r"\bless contrast\b|\blower (?:the )?contrast|\breduce (?:the )?contrast|\bflatter\b|降低对比|对比度低|对比度降|减少对比|对比.{0,3}(?:低|小|弱)",
    ),
    (
        "saturation",
        0.2,
        r"\bsaturat(?:ion|ed|e)\b|\bcolou?rful\b|\bmore colou?rs?\b|\bpop more\b|\bmore vivid\b|饱和|色彩|鲜艳一点|更鲜艳|颜色.{0,2}(?:浓|艳)",
        r"\bdesaturat|\bless saturat|\bless colou?r|\bmuted\b|\bwashed\b|\bfaded colou?rs\b|降低饱和|饱和度低|淡一点|饱和度降|降饱和|饱和.{0,3}(?:低|小|弱)",
    ),
)
ADJUST_WORDS = w("|".join(f"{up}|{down}" for _, _, up, down in _ADJUST))
_DOWN_WORDS = w(
    r"\bless\b|\blower\b|\breduce\b|\bdecrease\b|\bdown\b|\bdrop\b|降低|减少|调低|低一点|弱一点|少一点|减"
)


def _adjust(c: Clause, m: re.Match[str]) -> Result:
    args: dict[str, float] = {}
    for key, base, up, down in _ADJUST:
        hit_up = re.search(up, c.low, re.IGNORECASE)
        hit_down = re.search(down, c.low, re.IGNORECASE)
        if not hit_up and not hit_down:
            continue
        neg = bool(hit_down)
        if key == "brightness" and re.search(r"太暗|too dark|not bright enough|不够亮", c.low):
            neg = False
        elif key == "brightness" and re.search(r"太亮|too bright|不够暗", c.low):
            neg = True
        if not hit_down and hit_up and _DOWN_WORDS.search(c.low) and not re.search(r"太暗|too dark", c.low):
            neg = True
        p = slots.percent(c.low)
        step = p if p is not None else _amount(c, base)
        args[key] = _r(-step if neg else step)
    if not args:
        return None
    c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
    return Op("adjust", args)


def _rotate(c: Clause, m: re.Match[str]) -> Result:
    deg = slots.number(c.low, r"°|degrees?|deg\b|度")
    if deg is None:
        n = re.search(r"\b(90|180|270)\b", c.low)
        deg = float(n.group(1)) if n else None
    ccw = bool(
        re.search(r"\bleft\b|counter[- ]?clockwise|anti[- ]?clockwise|\bccw\b|逆时针|向左|左转|往左", c.low)
    )
    if deg is None:
        if re.search(r"upside[- ]?down|倒过来|颠倒|上下颠倒", c.low):
            deg = 180.0
        else:
            deg = 90.0
    d = round(deg) % 360
    if ccw:
        d = (360 - d) % 360
    if d not in (90, 180, 270):
        return Note(
            "I can rotate by 90, 180 or 270 degrees.",
            "只能旋转90度、180度或270度。",
        )
    c.claim_all(w(r"\d{1,3}\s?(?:°|degrees?|deg\b|度)"))
    return Op("rotate", {"degrees": d})


def _flip(c: Clause, m: re.Match[str]) -> Result:
    vertical = bool(re.search(r"vertical|upside|top to bottom|上下|垂直|竖直", c.low))
    return Op("flip", {"axis": "vertical" if vertical else "horizontal"})


def _zoom(c: Clause, m: re.Match[str]) -> Result:
    low = c.low
    slow_words = w(
        r"ken ?burns|\bslow(?:ly)?\b|\bgradual(?:ly)?\b|\bkeeps? zooming|\bcreep\w*|慢慢|缓慢|逐渐|渐渐|推镜|缓推|慢推"
    )
    kb = bool(slow_words.search(low))
    c.claim_all(slow_words)
    c.claim(m.start(), m.end())
    f = slots.factor(low)
    p = slots.percent(low)
    if f is not None and f[0] > 1:
        factor = f[0]
        c.claim(f[1], f[2])
    elif p is not None:
        factor = 1 + p if p < 1 else p
        c.claim_all(w(r"\d{1,4}(?:\.\d{1,3})?\s?%"))
    else:
        factor = 1.2 if kb else 1.3
        factor = 1 + _amount(c, factor - 1)
    return Op("zoom", {"factor": _r(_clamp(factor, 1.05, 4.0)), "mode": "kenburns" if kb else "punch"})


_HEIGHTS = {
    "4k": 2160,
    "2k": 1440,
    "uhd": 2160,
    "full hd": 1080,
    "fhd": 1080,
    "hd": 720,
    "sd": 480,
    "超清": 1080,
    "高清": 720,
    "标清": 480,
    "蓝光": 1080,
}


def _resolution(c: Clause, m: re.Match[str]) -> Result:
    n = re.search(
        r"(?<!\d)(\d{3,4})\s?p\b|(?<!\d)(\d{3,4})\s?[pP]|(?:resolution|分辨率)\D{0,6}(\d{3,4})(?!\d)", c.low
    )
    if n:
        h = int(n.group(1) or n.group(2) or n.group(3))
        c.claim(n.start(), n.end())
    else:
        word = next(
            (
                k
                for k in sorted(_HEIGHTS, key=len, reverse=True)
                if re.search(rf"(?<![a-z]){k}(?![a-z])", c.low)
            ),
            None,
        )
        if word is None:
            low_res = re.search(r"\blower\b|\bsmaller\b|\breduce\b|降低|调低|小一点", c.low)
            h = 480 if low_res else 1080
        else:
            h = _HEIGHTS[word]
            c.claim_all(w(rf"(?<![a-z]){word}(?![a-z])"))
    if h not in (144, 240, 360, 480, 540, 720, 1080, 1440, 2160):
        return Note("I can make it 360p, 480p, 720p, 1080p or 4K.", "可以改成360p、480p、720p、1080p或4K。")
    return Op("resolution", {"height": h})


def _fps(c: Clause, m: re.Match[str]) -> Result:
    n = re.search(
        r"(\d{1,3}(?:\.\d{1,3})?)\s?(?:fps|frames? (?:per|a) second|frames?/s|帧)", c.low
    ) or re.search(r"(?:fps|frame ?rate|帧率|帧数)\D{0,12}(\d{1,3}(?:\.\d{1,3})?)", c.low)
    if not n:
        return None
    v = float(n.group(1))
    if not 1 <= v <= 120:
        return Note("The frame rate can be 1 to 120 fps.", "帧率可以是1到120。")
    c.claim(n.start(), n.end())
    return Op("fps", {"fps": v})


