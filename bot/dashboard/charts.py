"""Diary-card trends as server-side SVG line charts: no JavaScript, no CDN.

Each series has its own colour *and* its own marker shape and dash pattern,
and is named in a legend and at the end of its line, so the chart reads
without colour (printouts, colour-blind readers). Missing days break the
line instead of being drawn as zero. The geometry is computed here; the
template only draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.storage.enums import EMOTION_MAX, SKILLS_MAX, URGE_MAX
from bot.storage.models import DiaryEntry

WIDTH = 640
HEIGHT = 220
#: Plot margins: room for the y labels on the left and the line labels on the right.
LEFT, RIGHT, TOP, BOTTOM = 34, 96, 12, 28
MARKER_SIZE = 4.0
#: (colour, dash pattern, marker): distinct in every channel, colour-blind safe (Okabe-Ito).
STYLES = (
    ("#0072b2", "", "circle"),
    ("#d55e00", "6 3", "square"),
    ("#009e73", "2 3", "triangle"),
    ("#cc79a7", "8 3 2 3", "diamond"),
    ("#000000", "1 4", "cross"),
)
#: How many x-axis date labels a chart shows.
X_LABELS = 6

URGES = (("urge_suicide", "suicide"), ("urge_self_harm", "self-harm"), ("urge_use", "use"))
EMOTIONS = (
    ("sadness", "sadness"),
    ("anger", "anger"),
    ("fear", "fear"),
    ("shame", "shame"),
    ("joy", "joy"),
)
SKILLS = (("skills_used", "skills used"),)


@dataclass(frozen=True)
class Series:
    label: str
    colour: str
    dash: str
    #: The marker's shape (``circle``, ``square``…): a second cue besides the dash pattern.
    marker: str
    #: SVG path data of the line: one ``M … L …`` run per stretch of consecutive days.
    line: str
    #: SVG path data of every marker.
    markers: str
    label_y: float
    latest: int | None
    #: The series' marker, drawn in the legend's 34×12 swatch.
    legend_marker: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    y_ticks: tuple[tuple[float, int], ...]
    x_ticks: tuple[tuple[float, str], ...]
    series: tuple[Series, ...]
    #: A sentence for screen readers and for anyone the drawing does not suit.
    summary: str

    @property
    def empty(self) -> bool:
        return all(not s.markers for s in self.series)


def diary_charts(entries: Sequence[DiaryEntry], start: date, end: date) -> list[Chart]:
    """Urges, emotions and skills use over ``start``..``end`` (inclusive)."""
    return [
        line_chart(f"Urges (0–{URGE_MAX})", entries, URGES, URGE_MAX, start, end),
        line_chart(f"Emotions (0–{EMOTION_MAX})", entries, EMOTIONS, EMOTION_MAX, start, end),
        line_chart(f"Skills use (0–{SKILLS_MAX})", entries, SKILLS, SKILLS_MAX, start, end),
    ]


def line_chart(
    title: str,
    entries: Sequence[DiaryEntry],
    fields: Sequence[tuple[str, str]],
    y_max: int,
    start: date,
    end: date,
) -> Chart:
    days = max((end - start).days, 1)
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x_of(day: date) -> float:
        return round(LEFT + (day - start).days / days * (plot_right - LEFT), 1)

    def y_of(value: int) -> float:
        return round(plot_bottom - value / y_max * (plot_bottom - TOP), 1)

    by_day = {entry.entry_date: entry for entry in entries if start <= entry.entry_date <= end}
    series = []
    label_slots: list[float] = []
    for (attribute, label), (colour, dash, marker) in zip(fields, STYLES, strict=False):
        runs: list[list[tuple[float, float]]] = []
        previous: date | None = None
        latest: int | None = None
        for day in sorted(by_day):
            value = getattr(by_day[day], attribute)
            if value is None:
                previous = None
                continue
            point = (x_of(day), y_of(int(value)))
            if previous is not None and day - previous == timedelta(days=1):
                runs[-1].append(point)
            else:
                runs.append([point])
            previous, latest = day, int(value)
        points = [point for run in runs for point in run]
        label_y = _free_slot(points[-1][1] if points else y_of(0), label_slots, TOP, plot_bottom)
        series.append(
            Series(
                label=label,
                colour=colour,
                dash=dash,
                marker=marker,
                line=" ".join(_run_path(run) for run in runs if len(run) > 1),
                markers=" ".join(_marker(marker, x, y) for x, y in points),
                label_y=label_y,
                latest=latest,
                legend_marker=_marker(marker, 17, 6),
            )
        )
    y_ticks = tuple((y_of(value), value) for value in range(0, y_max + 1))
    step = max(1, days // (X_LABELS - 1))
    x_ticks = tuple(
        (x_of(start + timedelta(days=offset)), f"{start + timedelta(days=offset):%b %d}")
        for offset in range(0, days + 1, step)
    )
    return Chart(
        title=title,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=plot_right,
        plot_top=TOP,
        plot_bottom=plot_bottom,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        series=tuple(series),
        summary=_summary(title, series, len(by_day), start, end),
    )


def _run_path(run: list[tuple[float, float]]) -> str:
    head, *rest = run
    return f"M{head[0]},{head[1]} " + " ".join(f"L{x},{y}" for x, y in rest)


def _marker(kind: str, x: float, y: float) -> str:
    s = MARKER_SIZE
    if kind == "circle":
        return f"M{x - s},{y} a{s},{s} 0 1,0 {2 * s},0 a{s},{s} 0 1,0 {-2 * s},0"
    if kind == "square":
        return f"M{x - s},{y - s} h{2 * s} v{2 * s} h{-2 * s} Z"
    if kind == "triangle":
        return f"M{x},{y - s} L{x + s},{y + s} L{x - s},{y + s} Z"
    if kind == "diamond":
        return f"M{x},{y - s} L{x + s},{y} L{x},{y + s} L{x - s},{y} Z"
    return f"M{x - s},{y - s} L{x + s},{y + s} M{x - s},{y + s} L{x + s},{y - s}"


def _free_slot(y: float, taken: list[float], low: float, high: float, gap: float = 12.0) -> float:
    """A y for a line's end label near ``y``, within ``low``..``high``, clear of other labels."""
    for step in range(0, 2 * len(taken) + 2):
        offset = (step + 1) // 2 * gap * (-1 if step % 2 else 1)
        candidate = min(max(y + offset, low), high)
        if all(abs(candidate - other) >= gap for other in taken):
            taken.append(candidate)
            return candidate
    taken.append(y)
    return y


def _summary(title: str, series: Sequence[Series], cards: int, start: date, end: date) -> str:
    if not cards:
        return f"{title}: no diary cards from {start:%b %d} to {end:%b %d}."
    latest = ", ".join(
        f"{s.label} {s.latest if s.latest is not None else 'not answered'}" for s in series
    )
    return f"{title}: {cards} diary cards from {start:%b %d} to {end:%b %d}; latest: {latest}."
