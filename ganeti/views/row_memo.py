"""Rendered list rows remembered per process, for the lists whose rows come from inventory snapshots.

One snapshot's objects never change, so a row rendered from one is the same HTML whenever the same
snapshot, row and language (and whatever else the row shows, all in the key) come back. Rendering a
page's rows through their template is most of a warm list page's cost (bench/instances.py,
bench/jobs.py); a page of rows seen before costs one look-up per row.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from django.template.loader import render_to_string

__all__ = ["RowMemo"]


class RowMemo:
    """Up to `size` rendered rows of one template, the least recently used dropped first."""

    def __init__(self, template: str, size: int = 5000):
        self.template = template
        self.size = size
        self._html: OrderedDict[tuple, str] = OrderedDict()

    def render(self, key: tuple | None, context: Callable[[], dict]) -> str:
        """The row's HTML: remembered under `key`, or rendered from context() (called only then).
        A key of None (a row that comes from no snapshot) is rendered and not remembered."""
        html = self._html.get(key) if key is not None else None
        if html is not None:
            self._html.move_to_end(key)
            return html
        html = render_to_string(self.template, context())
        if key is not None:
            self._html[key] = html
            while len(self._html) > self.size:
                self._html.popitem(last=False)
        return html

    def clear(self) -> None:
        self._html.clear()

    def __len__(self) -> int:
        return len(self._html)
