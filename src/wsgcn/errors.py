"""The one exception type for user errors (bad input, bad config, missing file).

The CLI turns a :class:`WsgcnError` into one line on stderr and exit status 2;
any other exception is a bug and keeps its traceback (exit status 1).
"""

from __future__ import annotations


class WsgcnError(Exception):
    """A problem with what the user gave us; the message names the file and the problem."""
