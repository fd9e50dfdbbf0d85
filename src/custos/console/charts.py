"""Grouped bar charts as inline SVG for the report pages, readable without colour or a mouse.

The console prints the figures as a table next to each chart; the chart is for
seeing a month stand out.  So it is an image with a text equivalent: ``role="img"``
with a ``<title>`` and a ``<desc>`` giving the series totals and the largest
value, and each bar carries its own ``<title>``.  The series colours differ in
lightness as well as hue, so a greyscale print or a reader who cannot tell red
from green still tells them apart, and every bar has a dark outline so a light
bar does not vanish on white.  The output is one self-contained string: no
script, no stylesheet, no font or image fetched, and the same input always gives
the same bytes (the element ids derive from the content).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Okabe-Ito-like hues ordered so the first four, the report's series, are far apart in lightness
# (greyscale luma 0.11, 0.43, 0.62, 0.84); the last two fall in the gaps.
SERIES_COLOURS = ("#0b1f3a", "#c4521f", "#6fa8dc", "#f5d97a", "#5b2a86", "#9fcf86")
OUTLINE = "#1a1a1a"
GRID = "#d0d0d0"
LEFT, RIGHT, TOP = 52, 16, 36  # room for the value ticks, the right edge and the visible title
# Characters XML 1.0 does not allow at all; escaping cannot save them, so they are replaced.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def axis_ticks(maximum: int, *, most: int = 5) -> list[int]:
    """Round tick values from 0 up to at least ``maximum``: steps of 1, 2 or 5 times a power of ten."""
    if maximum <= 0:
        return [0, 1]
    step = 1
    while -(-maximum // step) > most:
        step = _next_step(step)
    return list(range(0, -(-maximum // step) * step + 1, step))


def _next_step(step: int) -> int:
    """1, 2, 5, 10, 20, 50, ...: the next round step after ``step``."""
    digits = str(step)
    return step * 5 // 2 if digits[0] == "2" else step * 2


def luma(colour: str) -> float:
    """The greyscale lightness (ITU-R BT.601 luma, 0 to 1) of a ``#rrggbb`` colour."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return (0.299 * red + 0.587 * green + 0.114 * blue) / 255


def _text(value: object) -> str:
    """Text safe inside an element or an attribute value."""
    return html.escape(_NOT_XML.sub("\ufffd", str(value)), quote=True)


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros, so output is stable and short."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True, slots=True)
class _Frame:
    """Where the plot area sits inside the image."""

    width: float
    height: float
    legend_rows: int = 1
    left: float = LEFT
    right: float = RIGHT
    top: float = TOP

    @property
    def bottom(self) -> float:
        """Room for the group labels and the legend's rows."""
        return 30 + 20 * self.legend_rows

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def base(self) -> float:
        """The y of the x axis."""
        return self.height - self.bottom


def _check(labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> None:
    if not series:
        raise ValueError("a bar chart needs at least one series")
    if len(series) > len(SERIES_COLOURS):
        raise ValueError(f"a bar chart shows at most {len(SERIES_COLOURS)} series, not {len(series)}")
    for name, values in series.items():
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
        if any(value < 0 for value in values):
            raise ValueError(f"series {name!r} has a negative value; bars count things")


def bar_chart_svg(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[int]],
    *,
    width: int = 720,
    height: int = 320,
) -> str:
    """An inline SVG of ``series`` as bars grouped by label (one group per month), with axis and legend."""
    _check(labels, series)
    swatches = _legend_layout(list(series), width)
    frame = _Frame(width, height, legend_rows=1 + int(max(y for _, y, _ in swatches)) // 20)
    ticks = axis_ticks(max((max(values, default=0) for values in series.values()), default=0))
    chart_id = "chart-" + _digest(title, labels, series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f'<title id="{chart_id}-title">{_text(title)}</title>',
        f'<desc id="{chart_id}-desc">{_text(describe(labels, series))}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{_n(frame.left)}" y="20" font-size="13" font-weight="bold">{_text(title)}</text>',
        *_axes(frame, labels, ticks),
        *_bars(frame, labels, series, ticks[-1]),
        *_legend(frame, swatches),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def describe(labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> str:
    """The chart in one sentence or two, for a screen reader: series totals and the largest bar."""
    totals = ", ".join(f"{name} {sum(values)}" for name, values in series.items())
    text = f"Bar chart of {', '.join(series)} over {len(labels)} periods. Totals: {totals}."
    peak = max(
        (
            (value, name, label)
            for name, values in series.items()
            for label, value in zip(labels, values, strict=True)
        ),
        key=lambda item: item[0],
        default=None,
    )
    if peak is not None and peak[0] > 0:
        text += f" Largest: {peak[1]} in {peak[2]}, {peak[0]}."
    return text


def _digest(title: str, labels: Sequence[str], series: Mapping[str, Sequence[int]]) -> str:
    content = json.dumps([title, list(labels), {k: list(v) for k, v in series.items()}], sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()[:10]


def _line(start: tuple[float, float], end: tuple[float, float], stroke: str, width: float = 1) -> str:
    (x1, y1), (x2, y2) = start, end
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
        f'stroke-width="{_n(width)}"/>'
    )


def _axes(frame: _Frame, labels: Sequence[str], ticks: list[int]) -> list[str]:
    """Grid lines and value ticks on the left, the axes, and one label under each group."""
    parts = ['<g class="axes" aria-hidden="true">']
    right = frame.width - frame.right
    for tick in ticks:
        y = frame.base - frame.plot_height * tick / ticks[-1]
        parts.append(_line((frame.left, y), (right, y), GRID, 0.5))
        parts.append(_line((frame.left - 4, y), (frame.left, y), OUTLINE))
        parts.append(f'<text x="{_n(frame.left - 7)}" y="{_n(y + 4)}" text-anchor="end">{tick}</text>')
    parts.append(_line((frame.left, frame.top), (frame.left, frame.base), OUTLINE))
    parts.append(_line((frame.left, frame.base), (right, frame.base), OUTLINE))
    group = frame.plot_width / max(len(labels), 1)
    for index, label in enumerate(labels):
        middle, below = _n(frame.left + group * (index + 0.5)), _n(frame.base + 16)
        parts.append(f'<text x="{middle}" y="{below}" text-anchor="middle">{_text(label)}</text>')
    parts.append("</g>")
    return parts


def _bars(frame: _Frame, labels: Sequence[str], series: Mapping[str, Sequence[int]], top: int) -> list[str]:
    """One outlined bar per series in each group; a zero draws nothing but keeps its place."""
    group = frame.plot_width / max(len(labels), 1)
    bar = group * 0.8 / len(series)
    parts = ['<g class="bars">']
    for number, (name, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[number]
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            if value == 0:
                continue
            x = frame.left + group * index + group * 0.1 + bar * number
            tall = frame.plot_height * value / top
            parts.append(
                f'<rect x="{_n(x)}" y="{_n(frame.base - tall)}" width="{_n(bar)}" height="{_n(tall)}" '
                f'fill="{colour}" stroke="{OUTLINE}" stroke-width="0.6">'
                f"<title>{_text(f'{name}, {label}: {value}')}</title></rect>"
            )
    parts.append("</g>")
    return parts


def _legend_layout(names: list[str], width: float) -> list[tuple[float, float, str]]:
    """(x, row offset, name) of each swatch: left to right, a new row when the next would not fit."""
    placed: list[tuple[float, float, str]] = []
    x, row = float(LEFT), 0.0
    for name in names:
        wide = 17 + 6.5 * len(name) + 18  # swatch, gap, a generous estimate of the text, spacing
        if placed and x + wide > width - RIGHT:
            x, row = LEFT, row + 20
        placed.append((x, row, name))
        x += wide
    return placed


def _legend(frame: _Frame, swatches: list[tuple[float, float, str]]) -> list[str]:
    """A swatch and a name per series, under the group labels."""
    parts = ['<g class="legend">']
    for number, (x, row, name) in enumerate(swatches):
        y = frame.base + 30 + row
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="12" height="12" fill="{SERIES_COLOURS[number]}" '
            f'stroke="{OUTLINE}" stroke-width="0.6"/>'
        )
        parts.append(f'<text x="{_n(x + 17)}" y="{_n(y + 10)}">{_text(name)}</text>')
    parts.append("</g>")
    return parts
