"""Leaving a process that has used a Temporal client, without interpreter teardown.

The client's Rust threads can outlive the event loop; if CPython finalizes while one of them
still holds a thread state, the process aborts with "PyGILState_Release" (SIGABRT) after its
work has succeeded (temporalio/sdk-python#300). Callers close every resource before calling
this, so skipping teardown loses nothing but the crash.
"""

import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn


def exit_after(run: Callable[[], int | None]) -> NoReturn:
    """Runs `run` and ends the process with its exit code (a `SystemExit` counts as one)."""
    try:
        code = run() or 0
    except SystemExit as exit_request:
        if exit_request.code is None or isinstance(exit_request.code, int):
            code = exit_request.code or 0
        else:
            print(exit_request.code, file=sys.stderr)
            code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
