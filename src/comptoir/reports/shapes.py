"""What a report hands to its template: key figures, tables (HTML and CSV) and charts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text, int, number, percent, minutes, date


@dataclass
class Table:
    """A table of a report: shown as HTML, downloadable as CSV (``?format=csv&table=name``)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    shown: bool = True  # False: the page draws it another way (the heatmap); CSV only

    def cells(self) -> list[list[tuple[Any, str]]]:
        """Each row as (value, column kind) pairs, for the template to format."""
        kinds = [c.kind for c in self.columns]
        return [list(zip(row, kinds, strict=True)) for row in self.rows]


@dataclass
class Chart:
    """What ``reports.js`` hands to Chart.js: a type, labels, datasets and a few options."""

    name: str
    title: str
    type: str
    labels: list[str]
    datasets: list[dict[str, Any]]
    options: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "title": str(self.title), "labels": self.labels,
                "datasets": self.datasets, "options": self.options}


@dataclass(frozen=True)
class Kpi:
    """A key figure and the same figure over the previous period of the same length."""

    label: str
    value: Any
    kind: str  # int, percent, minutes
    previous: Any = None
    better: str = "up"  # which way is good news: up, down or "" (neither)
    note: str = ""

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return float(self.value) - float(self.previous)

    @property
    def trend(self) -> str:
        """good, bad or flat, for the arrow's colour."""
        change = round(self.change or 0, 1)
        if not change or not self.better:
            return "flat"
        return "good" if (change > 0) == (self.better == "up") else "bad"


