"""Garbage-collector settings for the long-running processes (worker, API).

Every request and workflow task allocates thousands of short-lived objects (pydantic models,
ORM rows, protobuf messages). With CPython's default first-generation threshold of 700, the
collector runs many times per request and scans the hundreds of thousands of objects that
imports left behind at each older-generation pass. Freezing what start-up created moves it
out of the collector's sight for good, and a larger first generation makes collections rarer;
reference counting still frees almost everything at once, so memory barely changes.
"""

import gc

FIRST_GENERATION_THRESHOLD = 50_000


def tune_garbage_collector(
    first_generation_threshold: int | None = FIRST_GENERATION_THRESHOLD,
) -> None:
    """Call once start-up has imported and built everything the process keeps.

    `None` keeps the default threshold: the worker's garbage is largely reference cycles (each
    workflow evicted from its cache leaves a sandbox of module dictionaries), which only the
    collector frees, so collecting less often would let them pile up.
    """
    gc.collect()
    gc.freeze()
    if first_generation_threshold is not None:
        _, second, third = gc.get_threshold()
        gc.set_threshold(first_generation_threshold, second, third)
