"""The long-running processes' garbage-collector settings (issue #12)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from avito_sync.core.gc_tuning import YOUNG_THRESHOLD, tune_for_service


@pytest.fixture(name="restored_gc")
def restored_gc_fixture() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_start_up_objects_are_frozen_and_the_young_generation_is_larger() -> None:
    gc.unfreeze()
    _, middle, oldest = gc.get_threshold()
    tune_for_service()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, oldest)
