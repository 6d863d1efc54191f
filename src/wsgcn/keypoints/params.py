"""Parameter checks of the keypoint library. Its errors name the function's parameters
(:class:`~wsgcn.errors.ParameterError`, :class:`~wsgcn.errors.Arg`, defined in
:mod:`wsgcn.errors` and re-exported here), so each front end can word them its own way."""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import Arg, ParameterError

__all__ = ["Arg", "ParameterError", "check_choice"]


def check_choice(param: str, value: Any, choices: Sequence[str]) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ParameterError(Arg(param, value), f" is unknown; expected one of {', '.join(choices)}")
