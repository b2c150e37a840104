"""How the built-in engine understands people: instruction text -> edit operations.

``plan`` (planner.py) is the entry point; the edits it knows are declared once in edits/ (one module a family), the shared
slot parsers (times, numbers in words, percentages, ratios) are in slots.py, and what it says in replies.py.
"""

from .ops import Op, Plan
from .planner import is_chinese, plan

__all__ = ["Op", "Plan", "is_chinese", "plan"]
