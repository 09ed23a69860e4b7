"""Garbage-collector settings for the long-running processes (the worker, the service).

At ~500 polls a second the worker allocates objects that live for one poll (0.1-0.3 s). With
CPython's default thresholds (700, 10, 10) they outlive the young collections, reach the
oldest generation and make it collect about 45 times a minute: 2.6 s of a 60 s window, pauses
up to 73 ms, the event loop's worst stalls (capacity bench, issue #12). Freezing what start-up
created and a larger young generation let a poll's garbage die young.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000


def tune_for_service() -> None:
    """Call once start-up is done: what exists now is never collected, nor scanned again."""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, oldest)
