"""The planner's public names, kept here for existing importers; the planner lives in ``engine.understanding``."""

from .understanding.ops import Op, Plan
from .understanding.planner import _plan, is_chinese, plan
from .understanding.replies import HELP_EN, HELP_ZH, NEED_FOOTAGE_EN, NEED_FOOTAGE_ZH

__all__ = ["HELP_EN", "HELP_ZH", "NEED_FOOTAGE_EN", "NEED_FOOTAGE_ZH", "Op", "Plan", "_plan", "is_chinese", "plan"]
