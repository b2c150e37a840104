"""Video prompt generation (seed 001): a detailed, structured prompt from a short description, and its
scenes as a storyboard of title cards. Pure and deterministic."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LEAD_EN = re.compile(
    r"^\s*(?:please\s+)?(?:generate|write|create|make|give me|draft|i need|i want)\s+(?:me\s+)?(?:an?\s+)?"
    r"(?:detailed\s+|cinematic\s+|short\s+|good\s+)*(?:video\s+)?(?:prompt|storyboard)s?\s*(?:for|about|of|:)?\s*",
    re.IGNORECASE,
)
_LEAD_ZH = re.compile(r"^\s*(?:请|帮我|给我)?\s*(?:生成|写|创建|做|来)\s*(?:一个|一份|个)?")
_TAIL_ZH = re.compile(r"的?(?:详细的?)?(?:视频)?(?:提示词|分镜|脚本)\s*$")

STYLE_WORDS = {
    "cinematic": ("cinematic, anamorphic 2.39:1 feel, shallow depth of field", "电影感，浅景深"),
    "lighting": ("deliberate key and rim lighting", "精心布置的主光与轮廓光"),
    "neon": ("neon-lit, saturated magenta and cyan", "霓虹灯光，洋红与青色"),
    "vintage": ("vintage film grain, warm faded colours", "复古胶片颗粒，暖色褪色"),
    "minimal": ("minimalist, clean negative space", "极简，干净的留白"),
    "drone": ("aerial drone moves", "无人机航拍"),
    "slow motion": ("120 fps slow motion accents", "120帧慢动作点缀"),
    "documentary": ("handheld documentary realism", "手持纪实风格"),
    "anime": ("anime-inspired cel shading", "动漫赛璐璐风格"),
    "luxury": ("premium luxury look, glossy reflections", "高端奢华质感，光泽反射"),
    "电影": ("cinematic, anamorphic 2.39:1 feel, shallow depth of field", "电影感，浅景深"),
    "灯光": ("deliberate key and rim lighting", "精心布置的主光与轮廓光"),
    "光影": ("deliberate key and rim lighting", "精心布置的主光与轮廓光"),
    "复古": ("vintage film grain, warm faded colours", "复古胶片颗粒，暖色褪色"),
    "航拍": ("aerial drone moves", "无人机航拍"),
    "慢动作": ("120 fps slow motion accents", "120帧慢动作点缀"),
}

SCENES_EN = [
    ("Opening", "Establishing shot that sets place and mood", "slow push-in, wide lens"),
    ("Reveal", "First clear look at {subject}", "orbiting dolly, medium shot"),
    ("Detail", "Close-ups of textures and key details of {subject}", "macro slider move"),
    ("In use", "{subject} in action, showing what it does", "handheld tracking shot"),
    ("People", "A person reacting to {subject}, human scale and emotion", "over-the-shoulder, 50 mm"),
    ("Hero shot", "The defining image of {subject}, peak energy", "low-angle crane up"),
    ("Closing", "Logo or message on a clean frame, call to action", "locked-off, slow fade"),
]
SCENES_ZH = [
    ("开场", "交代环境与氛围的建立镜头", "缓慢推进，广角"),
    ("亮相", "第一次清晰展示{subject}", "环绕移动，中景"),
    ("细节", "{subject}的质感与关键细节特写", "微距滑轨"),
    ("使用", "{subject}的实际使用场景", "手持跟拍"),
    ("人物", "人物对{subject}的反应，体现情感", "过肩镜头，50毫米"),
    ("高潮", "{subject}最具代表性的画面", "低角度升镜"),
    ("结尾", "干净画面上的标志或口号，行动号召", "固定机位，缓慢淡出"),
]


@dataclass
class Scene:
    title: str
    action: str
    camera: str
    start: float
    duration: float


@dataclass
class VideoPrompt:
    subject: str
    text: str
    scenes: list[Scene] = field(default_factory=list)
    seconds: float = 30.0
    aspect: str = "16:9"


def subject_of(description: str, lang: str) -> str:
    s = description.strip()
    if lang == "zh":
        s = _TAIL_ZH.sub("", _LEAD_ZH.sub("", s))
        s = re.sub(r"^\s*\d+\s*秒(?:钟)?的?", "", s)
    else:
        s = _LEAD_EN.sub("", s)
        s = re.sub(
            r"^(?:an?\s+)?\d+(?:\.\d+)?[- ]?(?:second|sec|s|minute|min)s?\s+", "", s, flags=re.IGNORECASE
        )
        s = re.sub(r"^(?:an?|the)\s+", "", s, flags=re.IGNORECASE)
    s = s.strip(" .,:;。，：")
    return s[:160] or ("你的主题" if lang == "zh" else "your subject")


def generate(description: str, seconds: float = 30.0, aspect: str = "16:9", lang: str = "en") -> VideoPrompt:
    """The structured prompt and its scenes for ``description``."""
    seconds = float(min(max(seconds, 5.0), 600.0))
    subject = subject_of(description, lang)
    low = description.lower()
    styles = [v for k, v in STYLE_WORDS.items() if k in low]
    n = 3 if seconds <= 15 else 5 if seconds <= 45 else 7
    table = SCENES_ZH if lang == "zh" else SCENES_EN
    picks = [table[0], *table[1:-1][: n - 2], table[-1]]
    each = round(seconds / n, 2)
    scenes = [
        Scene(t, a.format(subject=subject), c, round(i * each, 2), each) for i, (t, a, c) in enumerate(picks)
    ]
    if lang == "zh":
        style = "；".join(s[1] for s in styles) or "现代、干净、自然光"
        lines = [
            f"主题：{subject}",
            f"时长：{seconds:g}秒  画幅：{aspect}  帧率：24fps  分辨率：1080p",
            f"风格：{style}",
            "色彩：统一的调色，高光柔和，阴影保留细节",
            "镜头节奏：每个镜头2-6秒，动作连贯，转场自然",
            "分镜：",
            *[
                f"  {i + 1}. {s.start:g}-{s.start + s.duration:g}秒 【{s.title}】{s.action}；镜头：{s.camera}"
                for i, s in enumerate(scenes)
            ],
            "声音：与节奏匹配的配乐，关键动作处有音效点缀",
            "避免：文字乱码、变形的手和脸、闪烁、水印、低分辨率",
        ]
    else:
        style = "; ".join(s[0] for s in styles) or "modern, clean, natural light"
        lines = [
            f"Subject: {subject}",
            f"Duration: {seconds:g} s | Aspect: {aspect} | 24 fps | 1080p",
            f"Style: {style}",
            "Colour: consistent grade, soft highlights, detailed shadows",
            "Pacing: 2-6 s per shot, motivated camera moves, smooth transitions",
            "Shots:",
            *[
                f"  {i + 1}. {s.start:g}-{s.start + s.duration:g} s [{s.title}] {s.action}; "
                f"camera: {s.camera}"
                for i, s in enumerate(scenes)
            ],
            "Sound: music matching the cut rhythm, subtle sound effects on key actions",
            "Negative prompt: garbled text, warped hands or faces, flicker, watermarks, low resolution",
        ]
    return VideoPrompt(subject, "\n".join(lines), scenes, seconds, aspect)
