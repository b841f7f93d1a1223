"""A progress bar for long runs: tqdm when installed (optional dependency), else nothing."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["progress_bar"]


class _Silent:
    """Stand-in with tqdm's interface that shows nothing."""

    def set_description(self, text: str) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, enabled: bool) -> Iterator[Any]:
    """Yield an object with ``set_description`` and ``update``; a tqdm bar on stderr when
    ``enabled`` and tqdm is installed, silent otherwise."""
    if not enabled:
        yield _Silent()
        return
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in the [all] extra
        yield _Silent()
        return
    bar = tqdm(total=total, desc=description, file=sys.stderr, leave=False, unit="step")
    try:
        yield bar
    finally:
        bar.close()
