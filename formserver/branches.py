"""A step's branches as the engine takes them, for the graph and the checker.

The engine tries a step's branches in order and takes the first whose ``when``
holds; when none holds, or the step has none, the step listed after it comes
next, unless the step ends the form.
"""

from __future__ import annotations

from typing import Any

from .spec import Goto, Step


def unconditional(when: Any) -> bool:
    """Whether a ``when`` holds for every prospect."""
    return when is None or when is True


def live_branches(step: Step) -> tuple[Goto, ...]:
    """The branches the engine can take: up to the first one without ``when``."""
    for index, goto in enumerate(step.next):
        if unconditional(goto.when):
            return step.next[: index + 1]
    return step.next


def falls_through(step: Step) -> bool:
    """Whether the step that follows in the list comes next when no branch holds."""
    return not step.end and not any(unconditional(g.when) for g in step.next)


def successors(step: Step, following: Step | None) -> list[str]:
    """The ids of the steps that may come after ``step``, in the engine's order.

    ``following`` is the step listed after it, which comes next when the step
    falls through; an ending step has none.
    """
    if step.end:
        return []
    targets = [goto.step for goto in live_branches(step)]
    if following is not None and falls_through(step):
        targets.append(following.id)
    return list(dict.fromkeys(targets))
