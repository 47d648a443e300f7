"""Checks on form specs that their JSON Schema cannot express.

The schema says what each setting may hold; these checks read a spec as a
whole, one module per concern:

- :mod:`.ids`: ids used twice, reserved names, steps and fields never defined;
- :mod:`.fields`: options, consent text and validation that do not fit a field;
- :mod:`.conditions`: unknown operators, names nobody sets, unknown options;
- :mod:`.steps`: steps no prospect reaches or cannot leave, branches never
  taken, loops, steps with nothing to ask;
- :mod:`.dataflow`: conditions that read answers nobody gave yet, lead fields
  a path skips;
- :mod:`.tiers`: tier bands with holes or overlaps, tiers without a route,
  segments in an order that hides some.

:func:`check_spec` checks one compiled spec; :func:`check_paths` checks the
files and folders ``formserver check`` is given, and plays the scenarios of
each spec that has no errors.
"""

from .files import check_paths
from .spec_checks import check_spec

__all__ = ["check_paths", "check_spec"]
