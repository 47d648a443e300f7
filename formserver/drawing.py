"""The step graph drawn as plain SVG: boxes in layers, and arrows between them.

Steps are laid out in layers by their shortest distance from the first step;
steps no branch reaches sit greyed in a last layer, and the endings (one per
route) share a row below everything. Colours are presentation attributes, so
the drawing needs no style sheet, script or font.

Known limit: the layout orders each layer once, by the mean position of each
box's parents, which keeps it fast and free of dependencies but leaves some
crossings in large forms; Mermaid lays out the same graph more carefully.
Known limit: the endings row is as wide as the form has routes (sixteen in the
brightside example), because wrapping it would send arrows behind other
endings; the preview scrolls the drawing sideways.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:
    from .graph import Edge, FlowGraph

# Text that XML 1.0 cannot hold: control characters and lone surrogates.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_WIDTH, _GAP_X, _GAP_Y, _LINE, _PAD, _MARGIN, _DETOUR = 220, 40, 80, 16, 10, 30, 80
_STYLES = {
    "step": ('fill="#ffffff" stroke="#1f4e79"', "#1a1a1a"),
    "unreachable": ('fill="#f2f2f2" stroke="#999999" stroke-dasharray="5 5"', "#777"),
    "end": ('fill="#e8f5e9" stroke="#2e7d32"', "#1b5e20"),
    "missing": ('fill="#fdecea" stroke="#c62828" stroke-dasharray="5 5"', "#b71c1c"),
}


@dataclass
class _Box:
    key: str
    kind: str
    lines: list[str]
    title: str
    layer: int
    subtitle: bool = False
    x: float = 0
    y: float = 0
    parents: list[str] = field(default_factory=list)

    @property
    def height(self) -> float:
        return 2 * _PAD + _LINE * len(self.lines)


def draw(graph: FlowGraph) -> str:
    """``graph`` as a self-contained SVG document."""
    boxes = _boxes(graph)
    arrows = [
        _Arrow(boxes[f"s{e.source}"], boxes[_target_key(graph, e)], e.label)
        for e in graph.edges
    ]
    arrows += [_Arrow(boxes[f"s{i}"], boxes[f"r{n}"], "") for i, n in graph.finishes]
    for arrow in arrows:
        arrow.target.parents.append(arrow.source.key)
    width, height = _place(boxes)
    _fan(arrows)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        'font-family="system-ui, sans-serif" font-size="13">',
        f"<title>{_xml(graph.spec.title)}</title>",
        '<defs><marker id="formserver-arrow" viewBox="0 0 10 10" refX="10" '
        'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker></defs>',
        *(arrow.draw(width - _MARGIN) for arrow in arrows),
        *(_box(box) for box in boxes.values()),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _target_key(graph: FlowGraph, edge: Edge) -> str:
    if edge.target is None:
        return f"m{graph.missing.index(edge.step)}"
    return f"s{edge.target}"


def _boxes(graph: FlowGraph) -> dict[str, _Box]:
    layers = graph.layers
    last = max(layers.values()) + 1
    boxes: dict[str, _Box] = {}
    for index, step in enumerate(graph.spec.steps):
        kind = "step" if index in layers else "unreachable"
        lines = textwrap.wrap(step.title or step.id, 27, max_lines=2, placeholder="…")
        subtitle = bool(step.title) and step.title != step.id
        boxes[f"s{index}"] = _Box(
            f"s{index}",
            kind,
            [*lines, step.id] if subtitle else lines,
            " ".join(graph.step_lines(index)),
            layers.get(index, last),
            subtitle,
        )
    for number, name in enumerate(graph.missing):
        sources = [e.source for e in graph.edges if e.step == name and e.target is None]
        layer = min(layers.get(s, last) for s in sources) + 1
        text = f"no step {name!r}"
        boxes[f"m{number}"] = _Box(f"m{number}", "missing", [text], text, layer)
    bottom = max(box.layer for box in boxes.values()) + 1
    for number, ending in enumerate(graph.endings):
        said = ending.lines()
        wrapped = [
            part
            for line in said
            for part in textwrap.wrap(line, 28, break_on_hyphens=False)
        ]
        lines = wrapped if len(wrapped) <= 6 else [*wrapped[:5], "…"]
        boxes[f"r{number}"] = _Box(f"r{number}", "end", lines, "; ".join(said), bottom)
    return boxes


def _place(boxes: dict[str, _Box]) -> tuple[float, float]:
    """Set each box's position; return the drawing's width and height."""
    rows: dict[int, list[_Box]] = {}
    for box in boxes.values():
        rows.setdefault(box.layer, []).append(box)
    order: dict[str, int] = {}
    widest = max(len(row) for row in rows.values())
    full = widest * _WIDTH + (widest - 1) * _GAP_X
    y = float(_MARGIN)
    for layer in sorted(rows):
        row = rows[layer]
        first = {box.key: column for column, box in enumerate(row)}
        row.sort(key=lambda b: _barycentre(b, order, first[b.key]))
        left = _MARGIN + (full - (len(row) * _WIDTH + (len(row) - 1) * _GAP_X)) / 2
        for column, box in enumerate(row):
            order[box.key] = column
            box.x, box.y = left + column * (_WIDTH + _GAP_X), y
        y += max(box.height for box in row) + _GAP_Y
    return full + 2 * _MARGIN + _DETOUR, y - _GAP_Y + _MARGIN


def _barycentre(box: _Box, order: dict[str, int], fallback: int) -> float:
    placed = [order[p] for p in box.parents if p in order]
    return sum(placed) / len(placed) if placed else fallback


@dataclass
class _Arrow:
    """An edge as drawn: where it leaves and enters its boxes, from 0 to 1."""

    source: _Box
    target: _Box
    label: str
    leaves: float = 0.5
    enters: float = 0.5

    def draw(self, right: float) -> str:
        source, target = self.source, self.target
        x0, y0 = source.x + self.leaves * _WIDTH, source.y + source.height
        at = 0.5
        if target.layer > source.layer:
            x3, y3 = target.x + self.enters * _WIDTH, target.y
            bend = (y3 - y0) / 2
            points = [(x0, y0), (x0, y0 + bend), (x3, y3 - bend), (x3, y3)]
            at = 0.75
        elif target.layer == source.layer:
            x3, y3 = target.x + self.enters * _WIDTH, target.y + target.height
            points = [(x0, y0), (x0, y0 + 45), (x3, y3 + 45), (x3, y3)]
        elif target.layer == source.layer - 1:
            x0, y0 = source.x + self.leaves * _WIDTH, source.y
            x3, y3 = target.x + self.enters * _WIDTH, target.y + target.height
            bend = (y0 - y3) / 2
            points = [(x0, y0), (x0, y0 - bend), (x3, y3 + bend), (x3, y3)]
        else:
            x0, y0 = source.x + _WIDTH, source.y + source.height / 2
            x3, y3 = target.x + _WIDTH, target.y + target.height / 2
            points = [(x0, y0), (right, y0), (right, y3), (x3, y3)]
        (a, b), (c, d), (e, f), (g, h) = points
        parts = [
            f"<g><title>{_xml(self.label or 'next')}</title>",
            f'<path d="M{a:.1f},{b:.1f} C{c:.1f},{d:.1f} {e:.1f},{f:.1f} '
            f'{g:.1f},{h:.1f}" fill="none" stroke="#555555" stroke-width="1.4" '
            'marker-end="url(#formserver-arrow)"/>',
        ]
        if self.label:
            parts.append(_tag(short(self.label, 32), *_bezier(points, at)))
        parts.append("</g>")
        return "".join(parts)


def _fan(arrows: list[_Arrow]) -> None:
    """Spread the arrows leaving, and entering, the same box along its side."""
    leaving: dict[str, list[_Arrow]] = {}
    entering: dict[str, list[_Arrow]] = {}
    for arrow in arrows:
        leaving.setdefault(arrow.source.key, []).append(arrow)
        entering.setdefault(arrow.target.key, []).append(arrow)
    for group in leaving.values():
        group.sort(key=lambda a: a.target.x)
        for rank, arrow in enumerate(group):
            arrow.leaves = (rank + 1) / (len(group) + 1)
    for group in entering.values():
        group.sort(key=lambda a: a.source.x)
        for rank, arrow in enumerate(group):
            arrow.enters = (rank + 1) / (len(group) + 1)


def _bezier(points: list[tuple[float, float]], t: float) -> tuple[float, float]:
    weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3)
    x = sum(w * p[0] for w, p in zip(weights, points, strict=True))
    y = sum(w * p[1] for w, p in zip(weights, points, strict=True))
    return x, y


def _tag(text: str, x: float, y: float) -> str:
    """A short label on a white ground, centred on ``(x, y)``."""
    half = 3.2 * len(text) + 5
    return (
        f'<rect x="{x - half:.1f}" y="{y - 9:.1f}" width="{2 * half:.1f}" '
        'height="18" rx="3" fill="#ffffff" fill-opacity="0.9"/>'
        f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" '
        f'font-size="11" fill="#333333">{_xml(text)}</text>'
    )


def _box(box: _Box) -> str:
    shape, ink = _STYLES[box.kind]
    radius = 18 if box.kind == "end" else 6
    parts = [
        f'<g class="{box.kind}"><title>{_xml(box.title)}</title>',
        f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{_WIDTH}" '
        f'height="{box.height:.1f}" rx="{radius}" {shape} stroke-width="1.5"/>',
    ]
    for number, line in enumerate(box.lines):
        faint = box.subtitle and number == len(box.lines) - 1
        y = box.y + _PAD + _LINE * (number + 0.8)
        parts.append(
            f'<text x="{box.x + _WIDTH / 2:.1f}" y="{y:.1f}" text-anchor="middle" '
            f'fill="{"#888888" if faint else ink}">{_xml(line)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _xml(text: str) -> str:
    """``text`` safe as XML character data or a quoted attribute value."""
    return escape(NOT_XML.sub("", text), {'"': "&quot;", "'": "&#39;"})


def short(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
