"""The ``wsgcn`` command line in this process, and the shape of its user errors."""

from __future__ import annotations

import contextlib
import io

from wsgcn import cli


def run_cli(*argv: object) -> tuple[int, str, str]:
    """``wsgcn.cli.main(argv)`` in this process -> (exit status, stdout, stderr). A non-user error
    propagates (as it would print a traceback), failing the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main([str(a) for a in argv])
        except SystemExit as e:  # argparse usage errors
            rc = int(e.code or 0)
    return rc, out.getvalue(), err.getvalue()


def assert_user_error(rc: int, err: str, *fragments: str) -> str:
    """Exit status 2, exactly one line on stderr in the CLI's form, containing ``fragments``."""
    lines = err.splitlines()
    assert rc == 2, (rc, err)
    assert len(lines) == 1 and lines[0].startswith("wsgcn: error: "), err
    assert "Traceback" not in err
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]
