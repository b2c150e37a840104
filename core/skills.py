"""The five NEMO skills, offered as modes. Each sets the ``X-Skill-Source`` header."""

from __future__ import annotations

from dataclasses import dataclass

from core.settings import DEFAULT_SKILL


@dataclass(frozen=True, slots=True)
class Skill:
    source: str
    alias: str
    about_en: str
    about_zh: str


HIGHLIGHTS_SKILL = "ai-video-editor-highlights"

SKILLS: tuple[Skill, ...] = (
    Skill("free-editing-with-ai", "edit", "AI editing of raw footage", "AI剪辑原始素材"),
    Skill(HIGHLIGHTS_SKILL, "highlights", "highlight reels from long footage", "从长视频生成精彩集锦"),
    Skill("what-is-video-clip-example", "example", "an example clip from your footage", "用素材生成示例片段"),
    Skill("video-prompt-generation", "prompt", "a detailed video prompt from an idea", "把创意写成详细的视频提示词"),
    Skill("video-openapi", "api", "process a clip into an MP4", "把视频处理成MP4"),
)


def find_skill(name: str) -> Skill | None:
    """A skill by its alias or its full source name."""
    name = name.strip().lower()
    return next((s for s in SKILLS if name in (s.alias, s.source)), None)


def skill_or_default(source: str | None) -> Skill:
    return find_skill(source or "") or find_skill(DEFAULT_SKILL)  # type: ignore[return-value]


def mode_names() -> str:
    return ", ".join(s.alias for s in SKILLS)
