"""localstripe with its state in a file of our choosing: `python -m devstack.localstripe_server`.

localstripe saves its whole state to one fixed path, /tmp/localstripe.pickle, after every
change, and reloads it on start. Every instance on the machine shares that file, so a test run
would overwrite the state of `make run`'s instance. This launcher gives each instance its own
file (written atomically), which also lets a test stop localstripe and start it again with
its state, as Stripe going down and coming back.
"""

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any


def localstripe_command(port: int, state: Path | None, *, from_scratch: bool = False) -> list[str]:
    """How `make run`, the tests and the bench start this launcher (`state=None`: in memory)."""
    command = [sys.executable, "-m", "devstack.localstripe_server", "--port", str(port)]
    if state is None:
        return [*command, "--in-memory"]
    return [*command, "--state", str(state)] + (["--from-scratch"] if from_scratch else [])


def keep_state_in(state: Path) -> None:
    from localstripe import resources  # a development dependency: imported only to run it

    def load(store: dict[str, Any]) -> None:
        if state.exists():
            with state.open("rb") as saved:
                old = pickle.load(saved)  # noqa: S301 - our own file, written below
            store.clear()
            dict.update(store, old)

    def dump(store: dict[str, Any]) -> None:
        partial = state.with_name(state.name + ".partial")
        with partial.open("wb") as saving:
            pickle.dump(store, saving, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(state)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = dump


def keep_state_in_memory() -> None:
    """For the bench: a save re-pickles the whole store, so each write would cost more than
    the one before it, and thousands of signups would measure localstripe, not the service."""
    from localstripe import resources

    resources.Store.try_load_from_disk = lambda store: None
    resources.Store.dump_to_disk = lambda store: None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--state", type=Path, help="file that keeps the state")
    where.add_argument("--in-memory", action="store_true", help="keep no state on disk")
    parser.add_argument("--from-scratch", action="store_true", help="forget the saved state")
    arguments = parser.parse_args()
    state: Path | None = arguments.state
    if state is None:
        keep_state_in_memory()
    else:
        state.parent.mkdir(parents=True, exist_ok=True)
        if arguments.from_scratch:
            state.unlink(missing_ok=True)
        keep_state_in(state)
    from localstripe import server

    sys.argv = [sys.argv[0], "--port", str(arguments.port)]
    server.start()


if __name__ == "__main__":
    main()
