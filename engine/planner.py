"""The planner: instruction text (English or Chinese) + current draft + media -> operations, or a help answer.

A pure function, no I/O: ``plan(text, draft, media)``. It finds every instruction in the message (a
message may hold several: "make it 9:16, add the title 'Urban Dreams' and music at 35%") and returns
them in the order they were written. Text it does not understand gets a help answer listing what the
engine can do, and no operation.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from . import draft as dr

MAX_TEXT = 4000


@dataclass(frozen=True)
class Op:
    """One edit: ``name`` is the tool operation, ``args`` its JSON-able arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    ops: list[Op]
    reply: str | None = None  # an answer instead of (or before) edits
    lang: str = "en"

    @property
    def is_help(self) -> bool:
        return not self.ops


# Operations that need footage on the timeline (all but prompt generation and undo)
NEEDS_FOOTAGE = {
    "keep_range",
    "cut_range",
    "cut_pauses",
    "set_aspect",
    "add_text",
    "add_music",
    "music_volume",
    "remove_music",
    "speed",
    "fades",
    "transitions",
    "mute",
    "unmute",
    "volume",
    "join",
    "highlights",
    "example_clip",
    "clear_text",
}
ANALYSING = {"cut_pauses", "highlights", "example_clip"}

HELP_EN = (
    "I can edit the uploaded footage. Try:\n"
    '• "keep 0:05 to 0:20" or "cut the first 3 seconds"\n'
    '• "cut the pauses" (removes silences)\n'
    '• "make it 9:16" (or 1:1, 16:9; add "with blurred background" to pad instead of crop)\n'
    "• \"add the title 'Urban Dreams'\" or \"add text 'Sale' at 5s for 3 seconds\"\n"
    '• "add background music at 35%" (uses the audio file you uploaded)\n'
    '• "2x speed", "fade in and out", "add crossfade transitions"\n'
    '• "mute", "volume 50%", "join the clips"\n'
    '• "make a 30-second highlight reel", "show me an example clip"\n'
    '• "generate a detailed video prompt for a 30-second product showcase"\n'
    '• "undo"\n'
    "Say export when you are ready to get the MP4."
)
HELP_ZH = (
    "我可以剪辑你上传的素材，例如：\n"
    "• “保留5秒到20秒” 或 “剪掉前3秒”\n"
    "• “去掉停顿”（删除静音部分）\n"
    "• “改成9:16竖屏”（或1:1、16:9；说“模糊背景”则填充而不裁剪）\n"
    "• “加标题「城市梦想」” 或 “在5秒加文字「促销」持续3秒”\n"
    "• “加背景音乐 音量35%”（使用你上传的音频）\n"
    "• “2倍速”、“淡入淡出”、“加转场”\n"
    "• “静音”、“音量50%”、“合并视频”\n"
    "• “做一个30秒的精彩集锦”、“给我一个示例片段”\n"
    "• “生成一个30秒产品展示的视频提示词”\n"
    "• “撤销”\n"
    "准备好后说“导出”即可获得MP4。"
)
NEED_FOOTAGE_EN = "Upload a video first (mp4, mov, avi, webm or mkv), then tell me how to edit it."
NEED_FOOTAGE_ZH = "请先上传视频（mp4、mov、avi、webm 或 mkv），再告诉我怎么剪辑。"

_QUOTES = re.compile(
    r"\"([^\"]{1,200})\"|“([^”]{1,200})”|「([^」]{1,200})」|『([^』]{1,200})』|‘([^’]{1,200})’"
    r"|(?<![a-z0-9])'([^']{1,200})'(?![a-z0-9])|《([^》]{1,200})》"
)
_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN = "[零一二两三四五六七八九十百半]{1,6}"
_UNIT = r"(?:milliseconds?|ms|minutes?|mins?|分钟|分|hours?|hrs?|小时|seconds?|secs?|sec|s|m|h|秒)"
_TIME = re.compile(
    rf"(?P<clock>(?<![\d.])\d{{1,3}}:\d{{1,2}}(?::\d{{1,2}})?(?:\.\d{{1,3}})?(?![\d:]))"
    rf"|(?P<num>(?<![\d.])\d{{1,7}}(?:\.\d{{1,3}})?|{_CN})\s?-?\s?(?P<unit>{_UNIT})(?![a-z])"
    rf"(?:\s?(?P<num2>\d{{1,3}}(?:\.\d{{1,3}})?|{_CN})\s?(?P<unit2>seconds?|secs?|s|秒)(?![a-z]))?"
    rf"|(?P<bare>(?<![\d.])\d{{1,7}}(?:\.\d{{1,3}})?(?![\d.]))"
)
_RANGE_SEP = re.compile(r"\s*(?:-|–|—|~|to|until|till|through|and|到|至|－)\s*")
_PERCENT = re.compile(r"(\d{1,4}(?:\.\d{1,3})?)\s?%|百分之(" + _CN + r"|\d{1,3})")
_SPEED_X = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3})?)\s?(?:x|×|倍)(?![a-z])|(" + _CN + r")\s?倍")
_ASPECT_TOKEN = re.compile(r"(?<![\d.])(9|16|1|4|3)\s?[:：/x×比]\s?(16|9|1|3|5|4)(?![\d.])")

_SPLIT = re.compile(r"[,;!?\n，；！？。、]|\.(?=\s|$)|\bthen\b|\bafter that\b|然后|接着|之后|再把|另外|同时")

R = re.compile


def _w(words: str) -> re.Pattern[str]:
    return re.compile(words)


UNDO = _w(
    r"\bundo\b|\brevert\b|\bgo back\b|\btake (?:that|it) back\b|撤销|撤回|回退|返回上一步|恢复上一步|上一步"
)
PROMPT = _w(r"\bprompts?\b|storyboard|提示词|分镜|脚本提示|文生视频")
HIGHLIGHT = _w(
    r"highlight|best (?:moments|parts|bits|scenes|shots)|\brecap\b|\bmontage\b|精彩|集锦|高光|亮点|精华"
)
EXAMPLE = _w(r"\bexample\b|\bsample (?:clip|video|edit)|\bdemo clip\b|示例|样片|例子|范例|样例")
PAUSES = _w(
    r"\bpauses?\b|\bsilen(?:ce|ces|t parts?|t bits?|t gaps?)\b|\bdead air\b|\bgaps\b|\bjump ?cuts?\b|"
    r"\bquiet parts\b|停顿|空白|无声|沉默|冷场|(?:去掉|剪掉|删除|去除|删掉|切掉)静音|静音(?:部分|片段|段)"
)
UNMUTE = _w(
    r"\bunmute\b|\brestore (?:the )?(?:audio|sound)\b|\bsound (?:back )?on\b|"
    r"取消静音|恢复声音|打开声音|恢复原声"
)
MUTE = _w(
    r"\bmute\b|\bsilence (?:the )?(?:video|clip|audio)\b|\bremove (?:the )?(?:original )?(?:audio|sound)\b|"
    r"\bno (?:sound|audio)\b|\bwithout (?:sound|audio)\b|\bturn off (?:the )?(?:sound|audio)\b|"
    r"静音|消音|去掉声音|关闭声音|去掉原声|关掉声音|不要声音"
)
MUSIC = _w(r"\bmusic\b|\bbgm\b|\bsoundtrack\b|\bsong\b|背景音乐|配乐|音乐|背景乐")
MUSIC_REMOVE = _w(
    r"\b(?:remove|delete|drop|no|without|stop)\b.{0,20}\b(?:music|bgm|soundtrack|song)\b|"
    r"(?:去掉|删除|删掉|不要|移除|关掉).{0,6}(?:背景音乐|配乐|音乐|背景乐)"
)
VOLUME = _w(
    r"\bvolume\b|\blouder\b|\bquieter\b|\bsofter\b|\bturn (?:it )?(?:up|down)\b|"
    r"音量|声音大|声音小|调大|调小|大声|小声"
)
SPEED = _w(
    r"\bspeed\b|\bfaster\b|\bslower\b|\bslow[- ]?mo(?:tion)?\b|\btime-?lapse\b|\bspeed up\b|\bslow down\b|"
    r"加速|减速|慢放|快放|慢动作|倍速|快进"
)
FADE = _w(r"\bfade[- ]?in\b|\bfade[- ]?out\b|\bfades?\b|\bfade (?:it )?in and out\b|淡入|淡出")
TRANSITION = _w(
    r"\btransitions?\b|\bcross-?fades?\b|\bcross-?dissolves?\b|\bdissolves?\b|\bwipes?\b|\bslides?\b|"
    r"转场|过渡|交叉淡化|溶解|叠化"
)
JOIN = _w(
    r"\bjoin\b|\bmerge\b|\bcombine\b|\bconcat(?:enate)?\b|\bstitch\b|"
    r"\bput (?:them|the clips|it all) together\b|"
    r"\ball (?:the )?clips\b|合并|拼接|连接起来|串起来|合成一个|接在一起|连起来"
)
ASPECT_916 = _w(
    r"\bvertical\b|\bportrait\b|\btik ?tok\b|\b(?:instagram|ig|for|as) (?:an? )?reels?\b|\bshorts\b|"
    r"\bstories\b|竖屏|竖版|竖的|竖向|抖音"
)
ASPECT_11 = _w(r"\bsquare\b|正方形|方形|方的")
ASPECT_169 = _w(r"\blandscape\b|\bhorizontal\b|\bwide ?screen\b|\byoutube\b|横屏|横版|宽屏|横向")
FIT_BLUR = _w(
    r"\bblur|\bpad(?:ded|ding)?\b|\bletterbox|\bfit\b|\bno crop|\bdon'?t crop|\bwithout crop|模糊|留边|黑边|"
    r"不裁|不要裁|填充"
)
TEXT_KW = _w(
    r"\btitles?\b|\bheadings?\b|\bcaptions?\b|\btext\b|\bsubtitles?\b|\bheadline\b|\blabel\b|"
    r"标题|字幕|文字|文本|大字"
)
TEXT_REMOVE = _w(
    r"\b(?:remove|delete|drop|clear)\b.{0,12}\b(?:titles?|text|captions?|subtitles?)\b|"
    r"(?:去掉|删除|删掉|移除|清除).{0,4}(?:标题|字幕|文字|文本)"
)
CUT_VERB = _w(
    r"\bcut\b|\bremove\b|\bdelete\b|\bdrop\b|\bget rid of\b|\btrim off\b|\bchop\b|\bskip\b|"
    r"\btrim (?:the )?(?:first|last|beginning|start|end|opening)|删除|剪掉|去掉|切掉|删掉|去除|不要|剪去|砍掉"
)
KEEP_VERB = _w(
    r"\bkeep\b|\bonly\b|\btrim\b|\bshorten\b|\buse\b|\bextract\b|\bclip\b|\bjust\b|\bmake it\b|"
    r"保留|只要|只保留|截取|剪成|缩短到|留下|剪出|裁成"
)
# searched in the few characters before a time
FIRST = _w(r"\bfirst\b|\bopening\b|\bbeginning\b|\bstart\b|前\s*$|开头")
LAST = _w(r"\blast\b|\bfinal\b|\bending\b|\bend\b|最后|末尾|结尾|后\s*$")


@dataclass
class _Time:
    start: int
    end: int
    seconds: float
    explicit: bool  # had a unit or was a clock time


def _cn_number(s: str) -> float | None:
    if not s:
        return None
    if s == "半":
        return 0.5
    if any(ch not in _CN_DIGITS and ch not in "十百" for ch in s):
        return None
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
    return float(total + cur)


def _number(s: str | None) -> float | None:
    if not s:
        return None
    try:
        v = float(s)
    except ValueError:
        v = _cn_number(s)  # type: ignore[assignment]
    if v is None or not math.isfinite(v):
        return None
    return v


def _unit_seconds(unit: str) -> float:
    u = unit.lower()
    if u in ("ms", "millisecond", "milliseconds"):
        return 0.001
    if u.startswith("min") or u in ("m", "分钟", "分"):
        return 60.0
    if u.startswith("h") or u == "小时":
        return 3600.0
    return 1.0


def _times(s: str, offset: int = 0) -> list[_Time]:
    out = []
    for m in _TIME.finditer(s):
        if m.group("clock"):
            parts = m.group("clock").split(":")
            try:
                vals = [float(p) for p in parts]
            except ValueError:
                continue
            secs = 0.0
            for v in vals:
                secs = secs * 60 + v
            out.append(_Time(m.start() + offset, m.end() + offset, secs, True))
        elif m.group("num") is not None and m.group("unit"):
            n = _number(m.group("num"))
            if n is None:
                continue
            secs = n * _unit_seconds(m.group("unit"))
            n2 = _number(m.group("num2"))
            if n2 is not None:
                secs += n2
            out.append(_Time(m.start() + offset, m.end() + offset, secs, True))
        elif m.group("bare"):
            n = _number(m.group("bare"))
            if n is not None:
                out.append(_Time(m.start() + offset, m.end() + offset, n, False))
    return [t for t in out if 0 <= t.seconds <= 24 * 3600]


def _mask(s: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * (m.end() - m.start()), s)


def _normalise(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)[:MAX_TEXT]
    # keep the length stable from here on: every later mask replaces characters one for one
    return t.replace("\r", " ").replace("\t", " ")


def is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


@dataclass
class _Clause:
    start: int
    raw: str  # normalised text with the original case
    low: str  # lower case, quotes and tokens masked


def _clauses(raw: str, masked: str) -> list[_Clause]:
    out, pos = [], 0
    for m in _SPLIT.finditer(masked):
        if m.start() > pos:
            out.append(_Clause(pos, raw[pos : m.start()], masked[pos : m.start()]))
        pos = m.end()
    if pos < len(raw):
        out.append(_Clause(pos, raw[pos:], masked[pos:]))
    return [c for c in out if c.low.strip()]


def _percent(s: str) -> float | None:
    m = _PERCENT.search(s)
    if not m:
        return None
    v = _number(m.group(1) or m.group(2))
    if v is None:
        return None
    return max(0.0, min(v / 100.0, 4.0))


def _fraction(s: str) -> float | None:
    """A volume written as 0.35 (no percent sign)."""
    m = re.search(r"(?<![\d.])(0?\.\d{1,3}|1\.0{1,3})(?![\d.])", s)
    return float(m.group(1)) if m else None


def _speed_factor(low: str) -> float | None:
    m = _SPEED_X.search(low)
    if m:
        v = _number(m.group(1) or m.group(2))
        if v is not None and v > 0:
            if "慢" in low and v > 1:  # "慢放2倍" means half speed
                v = 1 / v
            if re.search(r"\bslow", low) and v > 1:
                v = 1 / v
            return max(0.25, min(4.0, v))
    if re.search(r"\bslow[- ]?mo(?:tion)?\b|慢动作", low):
        return 0.5
    if re.search(r"\btime-?lapse\b", low):
        return 4.0
    if re.search(r"\bslow(?:er| down)\b|减速|慢放", low):
        return 0.75
    if re.search(r"\bfaster\b|\bspeed (?:it )?up\b|加速|快放|快进", low):
        return 1.5
    m = re.search(r"\bspeed (?:of |to )?(\d{1,2}(?:\.\d{1,3})?)", low)
    if m:
        v = _number(m.group(1))
        if v:
            return max(0.25, min(4.0, v))
    return None


def _quote_in(quotes: list[tuple[int, int, str]], a: int, b: int) -> str | None:
    for qa, qb, q in quotes:
        if a <= qa and qb <= b + 1:
            return q
    return None


def _text_content(clause: _Clause, kw_end: int, quotes: list[tuple[int, int, str]]) -> str | None:
    q = _quote_in(
        quotes, clause.start + kw_end - 40 if kw_end > 40 else clause.start, clause.start + len(clause.raw)
    )
    if q is not None:
        return q.strip() or None
    rest = clause.raw[kw_end:]
    low_rest = clause.low[kw_end:]
    rest = rest[: len(rest) - len(rest.lstrip())] and rest.lstrip() or rest
    low_rest = low_rest.lstrip()
    # stop before timing words
    stop = re.search(
        r"\s(?:at|for|from|on|in the|during|until|to the|starting|lasting)\s|\s(?:at|for)$|"
        r"在|持续|从|放在|显示|于",
        low_rest,
    )
    body = rest[: stop.start()] if stop else rest
    body = re.sub(
        r"^(?:[:：=]|saying|that says|which says|reading|of|called|named|为|是|叫|写着|内容是)\s*",
        "",
        body.strip(),
        flags=re.IGNORECASE,
    )
    body = body.strip(" :：-\"'“”「」")
    if not body or len(body) > 120:
        return None
    if _TIME.fullmatch(body.lower().strip()):
        return None
    return body


def _text_op(
    clause: _Clause, kw: re.Match[str], quotes: list[tuple[int, int, str]], total_s: float
) -> Op | None:
    content = _text_content(clause, kw.end(), quotes)
    if not content:
        return None
    low = clause.low
    kind = "title" if re.search(r"title|heading|headline|标题|大字", kw.group(0)) else "text"
    pos = "center" if kind == "title" else "bottom"
    if re.search(r"\btop\b|顶部|上方|上面", low):
        pos = "top"
    elif re.search(r"\bbottom\b|底部|下方|下面", low):
        pos = "bottom"
    elif re.search(r"\bcent(?:er|re)\b|\bmiddle\b|中间|居中|正中", low):
        pos = "center"
    times = [t for t in _times(_mask(low, _PERCENT)) if t.explicit]
    start, dur = 0.0, 3.0
    rng = _find_range(low, times)
    if rng:
        start, end = rng
        dur = max(0.5, end - start)
    else:
        for t in times:
            before = low[max(0, t.start - 12) : t.start]
            if re.search(r"\bfor\s*$|持续\s*$|显示\s*$|\blasting\s*$|\blong\s*$", before) or re.search(
                r"^\s*(?:long|长|的时长)", low[t.end : t.end + 6]
            ):
                dur = t.seconds
            else:
                start = t.seconds
        if re.search(r"\b(?:at the )?end\b|结尾|最后", low) and total_s > 0 and not times:
            start = max(0.0, total_s - dur)
    dur = max(0.5, min(dur, 600.0))
    return Op(
        "add_text",
        {"text": content, "start": round(start, 3), "duration": round(dur, 3), "pos": pos, "kind": kind},
    )


def _find_range(low: str, times: list[_Time]) -> tuple[float, float] | None:
    for a, b in zip(times, times[1:]):
        between = low[a.end : b.start]
        if _RANGE_SEP.fullmatch(between) and (a.explicit or b.explicit) and b.seconds > a.seconds:
            if between.strip() == "and" and not re.search(r"\bbetween\s*$", low[: a.start]):
                continue
            return a.seconds, b.seconds
    return None


def _range_op(clause: _Clause, total_s: float) -> Op | None:
    low = _mask(_mask(_mask(clause.low, _PERCENT), _SPEED_X), _ASPECT_TOKEN)
    all_times = _times(low)
    cut = CUT_VERB.search(low)
    keep = KEEP_VERB.search(low)
    if not all_times:
        return None
    rng = _find_range(low, all_times)
    if rng is None and re.search(r"\bfrom\s*$|从\s*$", low[: all_times[0].start]) and len(all_times) >= 2:
        if all_times[1].seconds > all_times[0].seconds:
            rng = (all_times[0].seconds, all_times[1].seconds)
    explicit = [t for t in all_times if t.explicit]
    if rng is None and explicit:
        t = explicit[0]
        before = low[max(0, t.start - 16) : t.start]
        if LAST.search(before) and total_s > 0:
            rng = (max(0.0, total_s - t.seconds), total_s)
        elif FIRST.search(before):
            rng = (0.0, t.seconds)
        elif keep and re.search(
            r"\b(?:to|down to|into|at)\s*$|剪成\s*$|缩短到\s*$|缩短为\s*$|裁成\s*$|到\s*$", before
        ):
            return Op("keep_range", {"start": 0.0, "end": round(t.seconds, 3)})
        elif re.search(r"\bfrom\s*$|^\s*onwards", before) or re.search(
            r"^\s*(?:on|onwards)\b|^\s*之后|^\s*以后", low[t.end : t.end + 10]
        ):
            rng = (t.seconds, max(total_s, t.seconds + 0.1)) if total_s > t.seconds else None
    if rng is None:
        return None
    a, b = rng
    if b <= a:
        return None
    # the verb nearest before the range decides
    verb_cut = cut is not None and (
        keep is None
        or cut.start() >= keep.start()
        or keep.group(0).strip() in ("trim", "make it", "use", "just", "clip")
    )
    if cut is not None and keep is not None and keep.group(0).strip() in ("only", "保留", "只要", "只保留"):
        verb_cut = cut.start() > keep.start()
    if cut is None and keep is None:
        if not re.search(r"\bfrom\b|从|\bbetween\b", low):
            return None
        return Op("keep_range", {"start": round(a, 3), "end": round(b, 3)})
    return Op("cut_range" if verb_cut else "keep_range", {"start": round(a, 3), "end": round(b, 3)})


def _duration_in(low: str) -> float | None:
    times = [t for t in _times(_mask(low, _PERCENT)) if t.explicit]
    return times[0].seconds if times else None


def _clause_ops(
    clause: _Clause,
    quotes: list[tuple[int, int, str]],
    total_s: float,
    has_music: bool,
    blur_anywhere: bool = False,
) -> list[tuple[int, Op]]:
    low = clause.low
    ops: list[tuple[int, Op]] = []
    consumed_time = False

    def add(m: re.Match[str] | int, op: Op) -> None:
        pos = m if isinstance(m, int) else m.start()
        ops.append((clause.start + pos, op))

    if m := UNDO.search(low):
        steps = 1
        n = re.search(r"(\d{1,2})\s*(?:times|steps|步|次)|\btwice\b|两步|两次", low)
        if n:
            steps = int(n.group(1)) if n.group(1) else 2
        add(m, Op("undo", {"steps": max(1, min(steps, 20))}))
        return ops

    if m := HIGHLIGHT.search(low):
        secs = _duration_in(low)
        add(m, Op("highlights", {"seconds": round(min(max(secs or 30.0, 3.0), 1800.0), 3)}))
        consumed_time = True
    elif m := EXAMPLE.search(low):
        secs = _duration_in(low)
        add(m, Op("example_clip", {"seconds": round(min(max(secs or 15.0, 3.0), 120.0), 3)}))
        consumed_time = True

    pause = PAUSES.search(low)
    if pause:
        secs = _duration_in(low)
        args = {"min_silence": round(min(max(secs, 0.2), 10.0), 3)} if secs else {}
        add(pause, Op("cut_pauses", args))
        consumed_time = True
    low_nopause = (
        low if not pause else low[: pause.start()] + " " * (pause.end() - pause.start()) + low[pause.end() :]
    )

    if m := UNMUTE.search(low_nopause):
        add(m, Op("unmute"))
        low_nopause = low_nopause[: m.start()] + " " * (m.end() - m.start()) + low_nopause[m.end() :]
    music = MUSIC.search(low_nopause)
    if music:
        vol = _percent(low) or _fraction(low)
        if MUSIC_REMOVE.search(low):
            add(music, Op("remove_music"))
        elif has_music and vol is not None and not re.search(r"\badd\b|加|添加|配上|换", low):
            add(music, Op("music_volume", {"volume": round(vol, 3)}))
        else:
            add(music, Op("add_music", {"volume": round(vol if vol is not None else 0.3, 3)}))
    elif m := MUTE.search(low_nopause):
        add(m, Op("mute"))
    elif m := VOLUME.search(low_nopause):
        vol = _percent(low) or _fraction(low)
        if vol is None:
            vol = 1.5 if re.search(r"louder|\bup\b|调大|大声|声音大|增大|提高", low) else 0.5
        add(m, Op("volume", {"volume": round(min(vol, 4.0), 3)}))

    if (m := SPEED.search(low)) or (m := _SPEED_X.search(low)):
        f = _speed_factor(low)
        if f is not None and not TRANSITION.search(low):
            add(m, Op("speed", {"factor": round(f, 3)}))

    tr = TRANSITION.search(low)
    if tr:
        word = tr.group(0)
        kind = "fade"
        if "dissolve" in word or "溶解" in word or "叠化" in word:
            kind = "dissolve"
        elif "wipe" in word:
            kind = "wipeleft"
        elif "slide" in word:
            kind = "slideleft"
        secs = _duration_in(low)
        add(tr, Op("transitions", {"kind": kind, "duration": round(min(max(secs or 0.5, 0.1), 3.0), 3)}))
        consumed_time = True
    else:
        fade = FADE.search(low)
        if fade:
            fin = bool(re.search(r"fade[- ]?in|淡入", low))
            fout = bool(re.search(r"fade[- ]?out|淡出|\bin and out\b", low))
            if not fin and not fout:
                fin = fout = True
            secs = _duration_in(low) or 1.0
            secs = round(min(max(secs, 0.1), 10.0), 3)
            add(fade, Op("fades", {"fade_in": secs if fin else None, "fade_out": secs if fout else None}))
            consumed_time = True

    if m := JOIN.search(low):
        add(m, Op("join"))

    aspect = None
    if am := _ASPECT_TOKEN.search(low):
        pair = f"{am.group(1)}:{am.group(2)}"
        aspect = {
            "9:16": "9:16",
            "1:1": "1:1",
            "16:9": "16:9",
            "4:5": "9:16",
            "3:4": "9:16",
            "4:3": "16:9",
        }.get(pair)
        apos = am.start()
    for pat, name in ((ASPECT_916, "9:16"), (ASPECT_11, "1:1"), (ASPECT_169, "16:9")):
        if aspect is None and (am2 := pat.search(low)):
            aspect, apos = name, am2.start()
    if aspect is not None:
        fit = "blur" if blur_anywhere or FIT_BLUR.search(low) else "crop"
        add(apos, Op("set_aspect", {"aspect": aspect, "fit": fit}))

    if TEXT_REMOVE.search(low):
        add(TEXT_REMOVE.search(low), Op("clear_text"))  # type: ignore[arg-type]
    elif (kw := TEXT_KW.search(low)) and not tr:
        op = _text_op(clause, kw, quotes, total_s)
        if op is not None:
            add(kw, op)
            consumed_time = True

    if not consumed_time:
        op = _range_op(clause, total_s)
        if op is not None:
            verb = CUT_VERB.search(low) or KEEP_VERB.search(low)
            add(verb.start() if verb else 0, op)
    return ops


def _plan(text: str, draft: dict | None, media: Sequence[dict]) -> Plan:
    zh = is_chinese(text)
    lang = "zh" if zh else "en"
    raw = _normalise(text)
    d = dr.clone(draft)
    total_s = dr.total_ms(dr.ensure_footage(d, media)) / 1000
    has_music = bool(dr.segments(d, dr.AUDIO))

    quotes: list[tuple[int, int, str]] = []
    masked = raw.lower()
    if len(masked) != len(raw):  # lower() changed the length (rare letters): match on raw instead
        masked = raw
    for m in _QUOTES.finditer(raw):
        content = next((g for g in m.groups() if g is not None), "")
        quotes.append((m.start(), m.end(), content))
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]

    if PROMPT.search(masked) and re.search(
        r"generat|write|create|make|give|draft|need|want|生成|写|创建|做|给|来一个|帮", masked
    ):
        desc = text.strip()[:MAX_TEXT]
        aspect = "16:9"
        if _ASPECT_TOKEN.search(masked) or ASPECT_916.search(masked) or ASPECT_11.search(masked):
            if ASPECT_916.search(masked) or re.search(r"9\s?[:：/]\s?16", masked):
                aspect = "9:16"
            elif ASPECT_11.search(masked) or re.search(r"1\s?[:：/]\s?1", masked):
                aspect = "1:1"
        secs = _duration_in(_mask(masked, _ASPECT_TOKEN))
        return Plan(
            [
                Op(
                    "video_prompt",
                    {
                        "description": desc,
                        "seconds": round(min(max(secs or 30.0, 5.0), 600.0), 3),
                        "aspect": aspect,
                        "lang": lang,
                    },
                )
            ],
            None,
            lang,
        )

    found: list[tuple[int, Op]] = []
    blur = bool(FIT_BLUR.search(masked))
    for clause in _clauses(raw, masked):
        found.extend(_clause_ops(clause, quotes, total_s, has_music, blur))
        if any(op.name == "add_music" for _, op in found):
            has_music = True
    found.sort(key=lambda p: p[0])
    ops: list[Op] = []
    for _, op in found:
        if ops and op.name == ops[-1].name and op.name not in ("add_text", "keep_range", "cut_range"):
            ops[-1] = op if op.name != "undo" else ops[-1]
            continue
        ops.append(op)
    if any(op.name == "undo" for op in ops):
        ops = [op for op in ops if op.name == "undo"][:1]
    if not ops:
        return Plan([], HELP_ZH if zh else HELP_EN, lang)
    has_footage = bool(dr.segments(d, dr.VIDEO)) or bool(dr.visual_media(media))
    if not has_footage and any(op.name in NEEDS_FOOTAGE for op in ops):
        return Plan([], NEED_FOOTAGE_ZH if zh else NEED_FOOTAGE_EN, lang)
    return Plan(ops, None, lang)


def plan(text: str, draft: dict | None = None, media: Sequence[dict] = ()) -> Plan:
    """Plan the edits a message asks for. Never raises: what it cannot read gets the help answer."""
    if not isinstance(text, str):
        text = str(text)
    media = [m for m in (media or []) if isinstance(m, dict)]
    try:
        return _plan(text, draft if isinstance(draft, dict) else None, media)
    except Exception:  # noqa: BLE001 - the planner must answer whatever it is sent
        return Plan([], HELP_ZH if is_chinese(text) else HELP_EN, "zh" if is_chinese(text) else "en")
