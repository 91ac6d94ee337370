"""The worker and the API keep start-up's objects out of the collector's sight."""

import gc
from collections.abc import Iterator

import pytest

from runtime.gc_tuning import FIRST_GENERATION_THRESHOLD, tune_garbage_collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_restored")
def test_tuning_freezes_what_start_up_built_and_collects_young_objects_less_often() -> None:
    gc.unfreeze()

    tune_garbage_collector()

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == FIRST_GENERATION_THRESHOLD


@pytest.mark.usefixtures("collector_restored")
def test_the_worker_keeps_the_default_threshold_so_evicted_workflows_are_freed_promptly() -> None:
    gc.unfreeze()
    default = gc.get_threshold()

    tune_garbage_collector(first_generation_threshold=None)

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == default
