"""The step graph of a spec, drawn for marketers: Mermaid text and plain SVG.

Edges follow the engine: a step's branches are tried in order up to the first
one without ``when``; a step without ``next``, or whose branches all have
``when``, continues with the step listed after it, unless it ends the form.
Every route a prospect can end on gets its own ending node (the tier, the
track and any redirect), one per segment where a segment has its own route and
one shared where it falls back to the form's. Each step that ends the form
leads to the endings of the segments whose prospects can finish there: those
that can reach it without passing another segment's own steps. Steps no branch
reaches are marked. The SVG is laid out and drawn by :mod:`formserver.drawing`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property

from .branches import falls_through, live_branches, unconditional
from .drawing import NOT_XML, draw, short
from .plainwords import describe
from .spec import DISQUALIFIED, Route, Segment, Spec

OTHERWISE = "otherwise"

_MERMAID_ENTITIES = str.maketrans(
    {c: f"#{ord(c)};" for c in '#"<>[](){}|`&;'} | {"\n": " ", "\r": " ", "\t": " "}
)


@dataclass(frozen=True)
class Edge:
    """One way from a step onwards; ``target`` is None when no step has the id."""

    source: int
    step: str
    target: int | None
    label: str


@dataclass(frozen=True)
class Ending:
    """One way the form ends: a tier and its route, a segment's own or shared.

    ``segment`` is the id of the segment whose own route this is, or None for
    the form's route that segments without their own fall back to.
    """

    segment: str | None
    label: str
    tier: str
    route: Route | None

    def lines(self) -> list[str]:
        """What the ending node says: whose it is, tier → track, the redirect."""
        track = self.route.track if self.route else "no route"
        said = [self.label] if self.label else []
        said.append(f"{self.tier} → {track}")
        if self.route and self.route.redirect:
            said.append(f"redirects to {self.route.redirect}")
        return said


@dataclass(frozen=True)
class FlowGraph:
    """The steps of a spec by position, the edges between them and the ends."""

    spec: Spec
    edges: tuple[Edge, ...]
    ends: tuple[int, ...]

    @cached_property
    def successors(self) -> dict[int, list[int]]:
        """The steps each step can lead to, by position."""
        following: dict[int, list[int]] = {i: [] for i in range(len(self.spec.steps))}
        for edge in self.edges:
            if edge.target is not None:
                following[edge.source].append(edge.target)
        return following

    @cached_property
    def layers(self) -> dict[int, int]:
        """Each reachable step's shortest distance from the first step."""
        distance = {0: 0}
        todo = deque([0])
        while todo:
            index = todo.popleft()
            for following in self.successors[index]:
                if following not in distance:
                    distance[following] = distance[index] + 1
                    todo.append(following)
        return distance

    @property
    def unreachable(self) -> list[int]:
        return [i for i in range(len(self.spec.steps)) if i not in self.layers]

    @cached_property
    def missing(self) -> list[str]:
        """Step ids that branches name but no step defines, in order of use."""
        names = (e.step for e in self.edges if e.target is None)
        return list(dict.fromkeys(names))

    def reach(self, starts: list[int], avoid: frozenset[int] = frozenset()) -> set[int]:
        """The steps reachable from any of ``starts`` without entering ``avoid``."""
        seen, todo = set(starts), list(starts)
        while todo:
            for following in self.successors[todo.pop()]:
                if following not in seen and following not in avoid:
                    seen.add(following)
                    todo.append(following)
        return seen

    def step_lines(self, index: int) -> list[str]:
        """What the node of step ``index`` says: its title, then its id."""
        step = self.spec.steps[index]
        if step.title and step.title != step.id:
            return [step.title, step.id]
        return [step.id]

    @cached_property
    def endings(self) -> list[Ending]:
        """The endings some step leads to, in the order of segments, then tiers."""
        return list(dict.fromkeys(ending for _, ending in self._finishing))

    @cached_property
    def finishes(self) -> list[tuple[int, int]]:
        """Each step that ends the form, by position, with an ending it leads to."""
        number = {ending: n for n, ending in enumerate(self.endings)}
        return [(index, number[ending]) for index, ending in self._finishing]

    @cached_property
    def _finishing(self) -> list[tuple[int, Ending]]:
        pairs: dict[tuple[int, Ending], None] = {}
        for segment in _audiences(self.spec):
            reached = self.reach([0], self._steps_of_others(segment))
            for ending in _endings(self.spec, segment):
                for index in self.ends:
                    if index in reached:
                        pairs[(index, ending)] = None
        return list(pairs)

    def _steps_of_others(self, segment: Segment | None) -> frozenset[int]:
        """The own steps of every segment but ``segment``: its prospects skip them."""
        if segment is None:
            return frozenset()
        position = {step.id: i for i, step in enumerate(self.spec.steps)}
        mine = {position[s] for s in segment.steps if s in position}
        others = {
            position[s]
            for other in self.spec.segments
            for s in other.steps
            if s in position
        }
        return frozenset(others - mine - {0})


def flow_graph(spec: Spec) -> FlowGraph:
    """The edges and ends of ``spec``, as the engine walks its steps."""
    position = {step.id: index for index, step in enumerate(spec.steps)}
    edges: list[Edge] = []
    ends: list[int] = []
    for index, step in enumerate(spec.steps):
        branches = () if step.end else live_branches(step)
        for number, goto in enumerate(branches):
            label = "" if unconditional(goto.when) else describe(goto.when, spec)
            label = label or (OTHERWISE if number else "")
            edges.append(Edge(index, goto.step, position.get(goto.step), label))
        falls = falls_through(step)
        if falls and index + 1 < len(spec.steps):
            following = spec.steps[index + 1].id
            edges.append(
                Edge(index, following, index + 1, OTHERWISE if step.next else "")
            )
        elif step.end or falls:
            ends.append(index)
    return FlowGraph(spec, tuple(edges), tuple(ends))


def _audiences(spec: Spec) -> list[Segment | None]:
    """The segments prospects can finish in; None when some may be in none."""
    audiences: list[Segment | None] = list(spec.segments)
    if not any(unconditional(segment.when) for segment in spec.segments):
        audiences.append(None)
    return audiences


def _endings(spec: Spec, segment: Segment | None) -> list[Ending]:
    """The endings open to prospects of ``segment``: one per tier they can get."""
    tiers = [band.tier for band in spec.tiers_for(segment)] or ["unrated"]
    if spec.knockouts or (segment is not None and segment.knockouts):
        tiers.append(DISQUALIFIED)
    shared = "form-wide" if spec.segments else ""
    endings = []
    for tier in tiers:
        route = spec.route_for(segment, tier)
        if segment is not None and tier in segment.routes:
            label = segment.label or segment.id
            endings.append(Ending(segment.id, label, tier, route))
        else:
            endings.append(Ending(None, shared, tier, route))
    return endings


# Mermaid and SVG.


def mermaid(spec: Spec) -> str:
    """A Mermaid ``flowchart TD`` of the steps, branches and endings of ``spec``."""
    graph = flow_graph(spec)
    missing = {name: f"m{i}" for i, name in enumerate(graph.missing)}
    lines = ["flowchart TD"]
    for index in range(len(spec.steps)):
        lines.append(f'    s{index}["{_mermaid_lines(graph.step_lines(index))}"]')
    for name, node in missing.items():
        lines.append(f'    {node}["{_mermaid_text(f"no step {name!r}")}"]')
    for number, ending in enumerate(graph.endings):
        lines.append(f'    r{number}(["{_mermaid_lines(ending.lines())}"])')

    for edge in graph.edges:
        target = missing[edge.step] if edge.target is None else f"s{edge.target}"
        label = short(edge.label, 100)
        arrow = f'-->|"{_mermaid_text(label)}"|' if label else "-->"
        lines.append(f"    s{edge.source} {arrow} {target}")
    lines += [f"    s{index} --> r{number}" for index, number in graph.finishes]

    lines += [
        "    classDef unreachable fill:#f2f2f2,stroke:#999,color:#777,"
        "stroke-dasharray:5 5",
        "    classDef ending fill:#e8f5e9,stroke:#2e7d32",
        "    classDef missing fill:#fdecea,stroke:#c62828,stroke-dasharray:5 5",
    ]
    groups = {
        "unreachable": [f"s{i}" for i in graph.unreachable],
        "ending": [f"r{n}" for n in range(len(graph.endings))],
        "missing": list(missing.values()),
    }
    lines += [
        f"    class {','.join(ids)} {name}" for name, ids in groups.items() if ids
    ]
    return "\n".join(lines) + "\n"


def svg(spec: Spec) -> str:
    """A self-contained SVG drawing of the step graph, without scripts or fonts.

    :mod:`formserver.drawing` describes the layout.
    """
    return draw(flow_graph(spec))


def _mermaid_lines(lines: list[str]) -> str:
    return "<br/>".join(_mermaid_text(short(line, 120)) for line in lines)


def _mermaid_text(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: entities for markup."""
    return NOT_XML.sub("", text).translate(_MERMAID_ENTITIES)
