"""Every check on one compiled spec, run in order."""

from __future__ import annotations

from collections.abc import Callable

from ..problems import Problem
from ..spec import Spec
from .conditions import check_conditions
from .context import Context
from .dataflow import check_data_flow
from .fields import check_fields
from .ids import (
    check_duplicates,
    check_option_values,
    check_references,
    check_reserved_names,
)
from .steps import check_loops, check_steps
from .tiers import check_bands, check_routes, check_segments

CHECKS: tuple[Callable[[Context], None], ...] = (
    check_duplicates,
    check_option_values,
    check_reserved_names,
    check_references,
    check_fields,
    check_conditions,
    check_steps,
    check_loops,
    check_data_flow,
    check_bands,
    check_routes,
    check_segments,
)


def check_spec(spec: Spec) -> list[Problem]:
    """Every semantic problem of ``spec``, sorted by pointer."""
    context = Context(spec)
    for check in CHECKS:
        check(context)
    return sorted(set(context.problems))
