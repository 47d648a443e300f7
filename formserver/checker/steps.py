"""Steps: those no prospect reaches, branches never taken, loops, nothing to ask."""

from __future__ import annotations

from ..branches import falls_through, live_branches
from ..spec import Step
from .context import Context
from .graph import loop_path


def check_steps(context: Context) -> None:
    """Steps out of reach, branches never taken, and steps with nothing to ask."""
    spec, graph = context.spec, context.graph
    for index, step in enumerate(spec.steps):
        if index not in graph.reachable:
            context.error(
                step.pointer,
                f"step '{step.id}' cannot be reached from the first step "
                f"'{spec.steps[0].id}'; send to it from another step's next, or "
                "remove it",
            )
        _check_branches(context, index, step)
        _check_step_fields(context, step)


def _check_branches(context: Context, index: int, step: Step) -> None:
    if step.end and step.next:
        context.warning(
            f"{step.pointer}/next",
            f"step '{step.id}' ends the form, so its next is ignored; remove next "
            "or end",
        )
        return
    live = live_branches(step)
    for goto in step.next[len(live) :]:
        when = (
            "" if goto.when is None else f" when {context.condition_words(goto.when)}"
        )
        context.warning(
            goto.pointer,
            f"the branch of step '{step.id}' to '{goto.step}'{when} comes after "
            "the branch without 'when', so it is never taken; move it up or "
            "remove it",
        )
    if step.next and falls_through(step):
        following = context.spec.steps[index + 1 : index + 2]
        then = f"continues with step '{following[0].id}'" if following else "ends"
        context.warning(
            f"{step.pointer}/next",
            f"step '{step.id}' has no branch without 'when': if no branch holds "
            f"the form {then}; add a last branch without 'when' to say so",
        )


def _check_step_fields(context: Context, step: Step) -> None:
    if not step.fields:
        context.error(
            step.pointer,
            f"step '{step.id}' has nothing to ask; add fields or remove the step",
        )
    elif all(f.type == "hidden" or f.visible_if is not None for f in step.fields):
        context.warning(
            f"{step.pointer}/fields",
            f"step '{step.id}' can be reached with nothing to ask (each field is "
            "hidden or has visible_if); it is then skipped",
        )


def check_loops(context: Context) -> None:
    """Steps that send prospects round in a circle, with or without a way out."""
    spec, graph = context.spec, context.graph
    reach = {index: graph.reach(index) for index in graph.reachable}
    placed: set[int] = set()
    for start in sorted(graph.reachable):
        if start in placed:
            continue
        members = {i for i in reach[start] if i in reach and start in reach[i]}
        placed |= members
        if len(members) == 1 and start not in graph.successors[start]:
            continue
        loop = " → ".join(f"'{spec.steps[i].id}'" for i in loop_path(graph, start))
        if not any(reach[i] & graph.ends for i in members):
            context.error(
                spec.steps[start].pointer,
                f"steps {loop} loop with no way out; send one of them to a step "
                "that ends the form",
            )
        else:
            context.warning(
                spec.steps[start].pointer,
                f"steps {loop} form a loop; a prospect sent back to a step already "
                "answered is stuck there, so make sure the branches never go round",
            )
