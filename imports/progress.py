"""How far a background import has come: a stage in Chinese and a percentage, kept in the cache.

The import writes everything in one transaction, so its progress cannot be written to its own record (nobody
would see it before the end); the cache (Redis when configured, shared by web and worker) holds it instead.
Readers call `stage` and `rows` wherever they are; outside a tracked job both do nothing.
"""

import contextlib
import time
from contextvars import ContextVar

from django.core.cache import cache

_KEY = "imports:progress:{}"
_TTL = 24 * 3600
_ROW_INTERVAL = 1.0  # seconds between two row reports written to the cache


class _Tracker:
    def __init__(self, record_pk: int):
        self.key = _KEY.format(record_pk)
        self.percent = 0
        self.text = ""
        self.span = (0, 0)  # the percent range the current stage's rows fill
        self.written = 0.0

    def write(self) -> None:
        self.written = time.monotonic()
        cache.set(self.key, {"percent": self.percent, "stage": self.text, "at": time.time()}, _TTL)


_current: ContextVar[_Tracker | None] = ContextVar("import_progress", default=None)


@contextlib.contextmanager
def tracking(record_pk: int):
    """Report the progress of the code inside under the import record ``record_pk``."""
    tracker = _Tracker(record_pk)
    token = _current.set(tracker)
    try:
        yield tracker
    finally:
        _current.reset(token)


def stage(percent: int, text: str, *, until: int | None = None) -> None:
    """A new stage begins at ``percent``; its rows (see `rows`) fill the range up to ``until``."""
    tracker = _current.get()
    if tracker is None:
        return
    tracker.percent, tracker.text = percent, text
    tracker.span = (percent, until if until is not None else percent)
    tracker.write()


def rows(done: int, total: int) -> None:
    """``done`` of the stage's ``total`` rows are through; written at most once a second."""
    tracker = _current.get()
    if tracker is None or total <= 0 or time.monotonic() - tracker.written < _ROW_INTERVAL:
        return
    low, high = tracker.span
    tracker.percent = low + (high - low) * min(done, total) // total
    tracker.write()


def read(record_pk: int) -> dict | None:
    """The last report of record ``record_pk``: {"percent", "stage", "at" (epoch seconds)}, or None."""
    return cache.get(_KEY.format(record_pk))


def clear(record_pk: int) -> None:
    cache.delete(_KEY.format(record_pk))
