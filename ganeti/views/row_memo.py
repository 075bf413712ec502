"""List rows remembered per process, for the lists whose rows come from inventory snapshots.

One snapshot's objects never change, so a row made from one (its HTML, its JSON) is the same whenever
the same snapshot, row and language (and whatever else the row shows, all in the key) come back.
Making a page's rows is most of a warm list request's cost (bench/instances.py, bench/jobs.py); a page
of rows seen before costs one look-up per row.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["RowMemo"]


class RowMemo:
    """Up to `size` rows, the least recently used dropped first."""

    def __init__(self, size: int = 5000):
        self.size = size
        self._rows: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, key: tuple | None, build: Callable[[], Any]) -> Any:
        """The row remembered under `key`, or build() (called only then) remembered. A key of None (a row
        that comes from no snapshot) is built and not remembered."""
        row = self._rows.get(key) if key is not None else None
        if row is not None:
            self._rows.move_to_end(key)
            return row
        row = build()
        if key is not None:
            self._rows[key] = row
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)
        return row

    def clear(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)
