"""A dict that keeps only its most recently set keys.

An open server meets a new session, user or message with every request; what it remembers per key "for a
while" (the last message's undo mark, the latest draft's render) must not stay for its whole life. ``Recent``
forgets the keys set longest ago once it holds ``size`` of them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(OrderedDict[K, V]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: K, value: V) -> None:
        if key in self:
            self.move_to_end(key)
        super().__setitem__(key, value)
        while len(self) > self.size:
            self.popitem(last=False)
