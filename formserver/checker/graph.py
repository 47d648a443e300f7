"""The step graph of a spec: which step can follow which, and how branches go.

Steps are known by their position in the spec's list of steps, so that specs
with ids used twice or never defined can still be read as a graph.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property

from ..branches import falls_through
from ..branches import successors as next_steps
from ..spec import Spec


@dataclass(frozen=True)
class Graph:
    """Which steps can follow which, by position in the spec's list of steps."""

    successors: tuple[tuple[int, ...], ...]
    ends: frozenset[int]

    def reach(self, start: int) -> set[int]:
        """The steps a prospect can reach from ``start``, itself included."""
        seen, todo = {start}, [start]
        while todo:
            for following in self.successors[todo.pop()]:
                if following not in seen:
                    seen.add(following)
                    todo.append(following)
        return seen

    @cached_property
    def reachable(self) -> frozenset[int]:
        return frozenset(self.reach(0))

    @cached_property
    def predecessors(self) -> dict[int, list[int]]:
        before: dict[int, list[int]] = {index: [] for index in self.reachable}
        for index in sorted(self.reachable):
            for following in self.successors[index]:
                before[following].append(index)
        return before


def step_graph(spec: Spec) -> Graph:
    """The graph of ``spec``'s steps, as the engine walks them."""
    position = {step.id: index for index, step in enumerate(spec.steps)}
    successors: list[tuple[int, ...]] = []
    ends: set[int] = set()
    for index, step in enumerate(spec.steps):
        following = spec.following.get(step.id)
        targets = [
            position[target]
            for target in next_steps(step, following)
            if target in position
        ]
        if step.end or (falls_through(step) and following is None):
            ends.add(index)
        successors.append(tuple(targets))
    return Graph(tuple(successors), frozenset(ends))


def loop_path(graph: Graph, start: int) -> list[int]:
    """The shortest way from ``start`` back to itself, as step positions."""
    parents: dict[int, int] = {}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for following in graph.successors[node]:
            if following == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if following not in parents:
                parents[following] = node
                todo.append(following)
    return [start]
