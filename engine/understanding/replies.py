"""What the planner says, in the session's language: help, questions, and what it did not understand.

Choices are written one per line as ``• say “instruction”`` (``• 说“指令”``): the words a user can send
back. ``choice_lines`` writes them; a chat front-end may turn each into a button that sends the
instruction.
"""

from __future__ import annotations

from collections.abc import Sequence

HELP_EN = (
    "I can edit the uploaded footage. Try:\n"
    '• "keep 0:05 to 0:20", "cut the first 3 seconds", "make it 15 seconds"\n'
    '• "cut the pauses" (removes silences)\n'
    '• "make it 9:16" (or 1:1, 16:9; add "with blurred background" to pad instead of crop)\n'
    "• \"add the title 'Urban Dreams'\" or \"add text 'Sale' at 5s for 3 seconds\"\n"
    '• "add background music at 35%" (the audio file you uploaded), "add some upbeat music", "change the music"\n'
    '• "2x speed", "reverse it", "loop it 3 times", "fade in and out", "add crossfade transitions"\n'
    '• "black and white", "warmer", "brighter", "more contrast", "rotate 90", "flip", "zoom in"\n'
    '• "mute", "volume 50%", "remove background noise", "normalise the loudness", "join the clips"\n'
    '• "720p", "30 fps", "compress to 10 MB", "export as GIF", "extract the audio", "make a cover"\n'
    '• "make a 30-second highlight reel", "show me an example clip"\n'
    '• "give it a film look" (or dreamy, moody), "add black bars", "make it for TikTok", "1080x1920"\n'
    "• \"make a 15 s teaser for Reels titled 'Finals'\", \"slow-mo 2-4 s\", \"make it a boomerang\"\n"
    '• a correction: "make it 5 s", then "no wait, 6" (one undo takes both back)\n'
    '• "generate a detailed video prompt for a 30-second product showcase"\n'
    '• "undo"\n'
    "Say “export” (or press Export) when you are ready to get the MP4."
)
HELP_ZH = (
    "我可以剪辑你上传的素材，例如：\n"
    "• “保留5秒到20秒”、“剪掉前3秒”、“剪成15秒”\n"
    "• “去掉停顿”（删除静音部分）\n"
    "• “改成9:16竖屏”（或1:1、16:9；说“模糊背景”则填充而不裁剪）\n"
    "• “加标题「城市梦想」” 或 “在5秒加文字「促销」持续3秒”\n"
    "• “加背景音乐 音量35%”（使用你上传的音频）、“加点欢快的音乐”、“换一首”\n"
    "• “2倍速”、“倒放”、“循环3次”、“淡入淡出”、“加转场”\n"
    "• “变成黑白”、“暖色调”、“调亮一点”、“对比度高一点”、“旋转90度”、“镜像”、“放大画面”\n"
    "• “静音”、“音量50%”、“降噪”、“响度标准化”、“合并视频”\n"
    "• “改成720p”、“帧率30”、“压缩到10MB”、“导出成GIF”、“提取音频”、“做个封面”\n"
    "• “做一个30秒的精彩集锦”、“给我一个示例片段”\n"
    "• “加点电影感”（或梦幻、暗调）、“加黑边”、“改成抖音尺寸”、“1080乘1920”\n"
    "• “做一个15秒的抖音预告，标题「决赛」”、“2到4秒慢放”、“来回播放”\n"
    "• 改口：“剪成5秒”之后说“不对，要六秒”（撤销一次即全部撤回）\n"
    "• “生成一个30秒产品展示的视频提示词”\n"
    "• “撤销”\n"
    "准备好后说“导出”（或点“导出”按钮）即可获得MP4。"
)
NEED_FOOTAGE_EN = "Upload a video first (mp4, mov, avi, webm or mkv), then tell me how to edit it."
NEED_FOOTAGE_ZH = "请先上传视频（mp4、mov、avi、webm 或 mkv），再告诉我怎么剪辑。"


def pick(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def help_text(lang: str) -> str:
    return pick(lang, HELP_EN, HELP_ZH)


def need_footage(lang: str) -> str:
    return pick(lang, NEED_FOOTAGE_EN, NEED_FOOTAGE_ZH)


def choice_lines(choices: Sequence[str], lang: str) -> str:
    """One ``• say “…”`` line per choice."""
    word = pick(lang, "say", "说")
    sep = " " if lang != "zh" else ""
    return "\n".join(f"• {word}{sep}“{c}”" for c in choices)


def not_understood(parts: Sequence[str], choices: Sequence[str], lang: str) -> str:
    """ "I didn't understand “make it purple”. The closest I can do: • say “…”"."""
    quoted = pick(lang, ", ", "、").join(f"“{p}”" for p in parts)
    head = pick(lang, f"I didn't understand {quoted}.", f"没看懂{quoted}。")
    if not choices:
        return head
    return (
        head + pick(lang, " The closest I can do:\n", "我能做的最接近的是：\n") + choice_lines(choices, lang)
    )


def question(text: str, choices: Sequence[str], lang: str) -> str:
    return text + "\n" + choice_lines(choices, lang)
