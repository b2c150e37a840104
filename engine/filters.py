"""ffmpeg filter text for the draft's effects (``fx``): orientation, looks, adjustments, zoom, watermark
placement and the audio clean-up. Pure string builders; ``engine.render`` puts them in its one graph."""

from __future__ import annotations

from typing import Any

from . import draft as dr
from .effects import bars_within

LOOK_FILTERS = {
    "bw": "hue=s=0",
    "warm": "colortemperature=temperature=4300:mix=1,eq=saturation=1.1",
    "cool": "colortemperature=temperature=9500:mix=1",
    "sepia": "colorchannelmixer=rr=.393:rg=.769:rb=.189:gr=.349:gg=.686:gb=.168:br=.272:bg=.534:bb=.131",
    "vintage": "curves=preset=vintage,eq=saturation=0.75:contrast=0.95,vignette=PI/5",
    "vivid": "eq=saturation=1.45:contrast=1.08",
    "film": "colorbalance=rs=-0.06:gs=-0.02:bs=0.07:rh=0.08:gh=0.02:bh=-0.07,eq=contrast=1.1:saturation=0.85",
    "dreamy": "gblur=sigma=1.6,eq=brightness=0.05:contrast=0.9:saturation=0.85,colortemperature=temperature=5600",
    "moody": "eq=brightness=-0.06:contrast=1.15:saturation=0.7,colorbalance=bs=0.05:bm=0.03,vignette=PI/4",
}
WATERMARK_MARGIN = 0.03  # of the video width
DENOISE = "afftdn=nr=12:nf=-40"
LOUDNORM = "loudnorm=I=-16:TP=-1.5:LRA=11"


def orientation_filters(rot: int, mirror: bool) -> list[str]:
    """Mirror first, then rotate clockwise."""
    out = ["hflip"] if mirror else []
    out += {90: ["transpose=clock"], 180: ["hflip", "vflip"], 270: ["transpose=cclock"]}.get(rot % 360, [])
    return out


def look_filters(fx: dict[str, Any]) -> list[str]:
    out = []
    look = LOOK_FILTERS.get(str(fx.get("look", "")))
    if look:
        out.append(look)
    adj = fx.get("adj")
    if not isinstance(adj, dict):
        adj = {}
    b, c, s = (dr._num(adj.get(k), 0.0) for k in ("brightness", "contrast", "saturation"))
    if b or c or s:
        out.append(f"eq=brightness={b:.3f}:contrast={1 + c:.3f}:saturation={1 + s:.3f}")
    return out


def bars_filters(fx: dict[str, Any], w: int, h: int) -> list[str]:
    """Black bars over the picture leaving ``fx.bars`` (width/height) visible: top and bottom when that is
    wider than the canvas (letterbox), left and right when narrower (pillarbox)."""
    ratio = dr._num(fx.get("bars"), 0.0)
    if ratio <= 0:
        return []
    ratio = bars_within(ratio, w / h)  # a vertical source never meets a 2.39:1 strip
    if ratio > w / h:
        bar = round((h - w / ratio) / 2)
        box = [f"drawbox=x=0:y=0:w={w}:h={bar}", f"drawbox=x=0:y={h - bar}:w={w}:h={bar}"]
    else:
        bar = round((w - h * ratio) / 2)
        box = [f"drawbox=x=0:y=0:w={bar}:h={h}", f"drawbox=x={w - bar}:y=0:w={bar}:h={h}"]
    if bar < 2:
        return []
    return [f"{b}:color=black:t=fill" for b in box]


def zoom_filters(fx: dict[str, Any], w: int, h: int, fps: float, seconds: float) -> list[str]:
    """Punch-in: a fixed crop of the centre scaled back up. Ken Burns: zoom from 1 to the factor over
    the whole video, centred."""
    z = fx.get("zoom") if isinstance(fx.get("zoom"), dict) else None
    if not z:
        return []
    f = max(1.0, dr._num(z.get("factor"), 1.0))
    if f <= 1.0:
        return []
    if z.get("mode") == "kenburns":
        frames = max(1, round(seconds * fps) - 1)
        return [
            (f"zoompan=z='1+{f - 1:.4f}*min(on/{frames},1)':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2'"
            f":d=1:s={w}x{h}:fps={fps:g}")
        ]
    return [f"crop=trunc(iw/{f:.4f}/2)*2:trunc(ih/{f:.4f}/2)*2", f"scale={w}:{h}", "setsar=1"]


def watermark_chain(fx: dict[str, Any], label_in: str, label_out: str, w: int) -> str:
    """The logo input scaled to its share of the width with its opacity applied."""
    wm = fx["wm"]
    lw = max(2, round(w * dr._num(wm.get("size"), 0.15) / 2) * 2)
    alpha = max(0.0, min(1.0, dr._num(wm.get("opacity"), 0.8)))
    return f"[{label_in}]scale={lw}:-2,format=rgba,colorchannelmixer=aa={alpha:.3f}[{label_out}]"


def watermark_position(corner: str, w: int) -> str:
    m = max(2, int(w * WATERMARK_MARGIN))
    x = f"{m}" if corner.endswith("left") else f"W-w-{m}"
    y = f"{m}" if corner.startswith("top") else f"H-h-{m}"
    return f"{x}:{y}"


def clip_audio_filters(fx: dict[str, Any]) -> list[str]:
    """On the clips' own sound, before music is mixed in."""
    return [DENOISE] if fx.get("denoise") else []


def master_audio_filters(fx: dict[str, Any], total: float) -> list[str]:
    """On the final mix: loudness normalisation, then the audio fades (their own, else the video's)."""
    out = [LOUDNORM, "aresample=48000"] if fx.get("loudnorm") else []
    fi = dr._num(fx.get("afade_in", fx.get("fade_in")), 0) / 1000.0
    fo = dr._num(fx.get("afade_out", fx.get("fade_out")), 0) / 1000.0
    fi, fo = min(fi, total / 2), min(fo, total / 2)
    if fi > 0:
        out.append(f"afade=t=in:st=0:d={fi:.3f}")
    if fo > 0:
        out.append(f"afade=t=out:st={total - fo:.3f}:d={fo:.3f}")
    return out
