"""The exception types for user errors (bad input, bad config, missing file).

The CLI turns a :class:`WsgcnError` into one line on stderr and exit status 2;
any other exception is a bug and keeps its traceback (exit status 1).

A :class:`ParameterError` names a function's parameters, so that each front end can name them
its own way: the library's message names the Python parameter (``min_score must be a number >=
0, got -1.0``, ``fmt='x' is unknown; ...``); a command line words the same error with its flags
(``--min-score must be ...``, ``--format x is unknown; ...``) through :meth:`ParameterError.worded`.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, NamedTuple


class WsgcnError(Exception):
    """A problem with what the user gave us; the message names the file and the problem."""


class Arg(NamedTuple):
    """A parameter named in a message: ``param`` alone (``value`` None), or with the value given.
    ``metavar``: what a command line shows after its flag when no value is given
    (``--camera SUBJECT:INDEX``); the library's wording shows the parameter alone."""

    param: str
    value: Any = None
    metavar: str | None = None

    def said(self, flag: Callable[[str], str] | None) -> str:
        """``param`` / ``param='v'`` (library), or ``flag(param)`` / ``flag(param) v`` (command line)."""
        if flag is None:
            return self.param if self.value is None else f"{self.param}={_shown(self.value, quote=True)}"
        if self.value is None:
            return flag(self.param) if self.metavar is None else f"{flag(self.param)} {self.metavar}"
        return f"{flag(self.param)} {_shown(self.value, quote=False)}"


def _shown(value: Any, quote: bool) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format(float(value), "g")
    if isinstance(value, str):
        return repr(value) if quote else value
    return repr(value)


class ParameterError(WsgcnError):
    """A user error whose message names parameters: a bad value, or the parameter to change.

    Built from text pieces and :class:`Arg` mentions; ``str(e)`` names them as the library's
    parameters, :meth:`worded` as a front end's own names (e.g. command-line flags).
    """

    def __init__(self, *parts: str | Arg) -> None:
        self.parts: tuple[str | Arg, ...] = parts
        super().__init__(self.worded())

    @property
    def params(self) -> tuple[str, ...]:
        """The parameters named, in order, each once."""
        return tuple(dict.fromkeys(p.param for p in self.parts if isinstance(p, Arg)))

    @property
    def param(self) -> str:
        """The first parameter named (the one at fault, or the one to change)."""
        return self.params[0]

    def worded(self, flag: Callable[[str], str] | None = None) -> str:
        """The message with every parameter named as ``flag(param)``, or as the library's name."""
        return "".join(p if isinstance(p, str) else p.said(flag) for p in self.parts)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), self.parts
