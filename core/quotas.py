"""Daily quotas on the built-in engine: the seconds of video a user may render and the files they may upload
in one UTC day. Operators are exempt; on NEMO's cloud credits decide, and no quota applies.

A quota is taken before the work starts, in one store transaction (several bot processes never both take
the last of it); over it, the user is told what is left and when it resets, and nothing is started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from core.i18n import say
from core.ports import Target
from core.settings import BotSettings
from core.store.base import Store, quota_day

RENDER_SECONDS = "render_seconds"
UPLOADS = "uploads"
DAY = 86400.0


@dataclass(frozen=True)
class Refusal:
    """Over a quota: what was asked, what is left, and when the day's quota starts again."""

    kind: str
    need: float
    left: float
    limit: float
    resets_in: float  # seconds

    def text(self, lang: str) -> str:
        wait = _hours_minutes(self.resets_in, lang)
        if self.kind == UPLOADS:
            return say(lang, "quota_uploads", limit=int(self.limit), wait=wait)
        return say(lang, "quota_render", need=_minutes(self.need, lang), left=_minutes(self.left, lang),
                   limit=_minutes(self.limit, lang), wait=wait)


class Quotas:
    def __init__(self, store: Store, settings: BotSettings, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    def limits(self) -> dict[str, float]:
        """The quotas in force (kind: a day's amount); none on NEMO's cloud."""
        if self.settings.backend != "engine":
            return {}
        limits = {RENDER_SECONDS: float(self.settings.quota_render_seconds), UPLOADS: float(self.settings.quota_uploads)}
        return {kind: amount for kind, amount in limits.items() if amount > 0}

    async def take(self, target: Target, kind: str, amount: float) -> Refusal | None:
        """Count ``amount`` of ``kind`` against ``target``'s user today; a ``Refusal`` (nothing counted) when it
        would pass the day's quota."""
        limit = self.limits().get(kind)
        user = f"{target.platform}:{target.user_id}"
        if limit is None or amount <= 0 or user in self.settings.operators:
            return None
        now = self.clock()
        day = quota_day(now)
        used = await self.store.use_quota(user, day, kind, amount, limit)
        if used is not None:
            return None
        left = max(0.0, limit - await self.store.quota_used(user, day, kind))
        return Refusal(kind, amount, left, limit, DAY - now % DAY)

    async def users_over(self) -> int:
        return await self.store.users_over_quota(quota_day(self.clock()), self.limits())


def _minutes(seconds: float, lang: str) -> str:
    if seconds < 60:
        return f"{int(seconds)} 秒" if lang == "zh" else f"{int(seconds)} s"
    m = round(seconds / 60)
    return f"{m} 分钟" if lang == "zh" else f"{m} min"


def _hours_minutes(seconds: float, lang: str) -> str:
    h, m = divmod(max(1, int(seconds // 60)), 60)
    if lang == "zh":
        return f"{h} 小时 {m} 分钟" if h else f"{m} 分钟"
    return f"{h} h {m} min" if h else f"{m} min"
