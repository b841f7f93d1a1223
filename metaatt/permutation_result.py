"""The frozen result of :func:`metaatt.permutation_test`."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._coefficients import plain
from ._format import TextSummary, fmt, fmt_p, html_table, text_table

__all__ = ["PermutationResult"]


@dataclass(frozen=True, repr=False)
class PermutationResult(TextSummary):
    """Permutation p-values of a model's coefficients and omnibus test.

    ``coef``, ``se``, ``statistic`` are the observed values, ``pval`` the permutation
    p-values (``pval_model`` the model-based ones), ``qm``/``qm_pval`` the observed omnibus
    statistic and its permutation p-value. ``statistic_perm`` (permutations x coefficients)
    and ``qm_perm`` hold the permutation distributions; ``exact`` says whether every
    distinct permutation was used (``permutations`` of them).
    """

    method: str
    test: str
    k: int
    coef_names: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pval: np.ndarray
    pval_model: np.ndarray
    qm: float
    qm_pval: float
    btt: tuple[int, ...]
    exact: bool
    permutations: int
    distinct_permutations: float
    kind: str
    statistic_perm: np.ndarray
    qm_perm: np.ndarray
    random_seed: int | None = None

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table: estimate, se, statistic, pval (permutation), pval_model."""
        return pd.DataFrame(
            {
                "estimate": self.coef,
                "se": self.se,
                "statistic": self.statistic,
                "pval": self.pval,
                "pval_model": self.pval_model,
            },
            index=pd.Index(list(self.coef_names), name="coefficient"),
        )

    def to_dict(self) -> dict[str, Any]:
        """Scalars and arrays as plain Python values (distributions included)."""
        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def _how(self) -> str:
        if self.exact:
            return f"exact test, all {self.permutations:,} distinct permutations ({self.kind})"
        seed = "" if self.random_seed is None else f", seed {self.random_seed}"
        return f"{self.permutations:,} random permutations ({self.kind}{seed})"

    def summary(self) -> str:
        """Layout of metafor's ``print.permutest.rma.uni``."""
        stat = "zval" if self.test == "z" else "tval"
        names = [self.coef_names[i] for i in self.btt]
        qm_name = "QM" if self.test == "z" else "F"
        lines = [
            f"Permutation test ({self._how()}); model: {self.method}, k = {self.k}",
            "",
            f"Test of Moderators (coefficients {', '.join(names)}):",
            f"{qm_name} = {fmt(self.qm)}, p-val* = {fmt_p(self.qm_pval)}",
            "",
            "Model Results:",
            "",
        ]
        header = ["", "estimate", "se", stat, "pval*"]
        rows = [
            [n, fmt(c), fmt(s), fmt(z), fmt_p(p)]
            for n, c, s, z, p in zip(
                self.coef_names, self.coef, self.se, self.statistic, self.pval, strict=True
            )
        ]
        lines.append(text_table(header, rows))
        lines += ["", "* p-values based on the permutation test"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"PermutationResult(method={self.method!r}, k={self.k}, exact={self.exact}, "
            f"permutations={self.permutations}, qm_pval={self.qm_pval:.4g})"
        )

    def _repr_html_(self) -> str:
        return "\n".join(
            [
                "<div class='metaatt-result'><h4>Permutation test</h4>",
                f"<p>{html.escape(self._how())}</p>",
                html_table(self.to_frame().reset_index()),
                f"<p>Omnibus test: {fmt(self.qm)}, permutation p = {fmt_p(self.qm_pval)}</p>",
                "</div>",
            ]
        )
