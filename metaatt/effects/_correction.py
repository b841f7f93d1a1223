"""Zero cells: metafor's continuity correction (``add``, ``to``) and ``drop00``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["TO_CHOICES", "continuity_correct", "double_zero"]

#: when ``add`` is added: every table, tables with a zero cell, every table if any has a
#: zero cell, or never
TO_CHOICES = ("all", "only0", "if0all", "none")


def double_zero(ai: np.ndarray, bi: np.ndarray, ci: np.ndarray, di: np.ndarray) -> np.ndarray:
    """Tables with no events in either group (``ai = ci = 0``) or only events (``bi = di = 0``).

    Such tables carry no information about a ratio measure; ``drop00=True`` leaves them out
    (Cochrane Handbook, 2nd ed., section 10.4.4.2).
    """
    return ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))


def continuity_correct(
    counts: Sequence[np.ndarray], add: float, to: str, eligible: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Add ``add`` to every count of the rows selected by ``to``.

    Parameters
    ----------
    counts
        The cells of each table (e.g. ``ai, bi, ci, di``, or ``xi, mi``).
    add
        Amount added (``>= 0``); 0 means no correction.
    to
        ``"only0"``: rows with at least one zero cell; ``"all"``: every row;
        ``"if0all"``: every row if any eligible row has a zero cell; ``"none"``: no row.
    eligible
        Rows taking part (rows dropped by ``drop00`` do not count for ``"if0all"``).

    Returns
    -------
    (list of arrays, numpy.ndarray)
        The corrected counts and the mask of corrected rows.

    Notes
    -----
    This is metafor's ``escalc`` behaviour (documented under its ``add`` and ``to``
    arguments): the same amount is added to each cell of a selected table.
    """
    zero = np.logical_or.reduce([c == 0 for c in counts]) & eligible
    if add == 0 or to == "none":
        rows = np.zeros_like(zero)
    elif to == "all":
        rows = eligible.copy()
    elif to == "only0":
        rows = zero
    else:  # if0all
        rows = eligible & bool(zero.any())
    return [np.where(rows, c + add, c) for c in counts], rows
