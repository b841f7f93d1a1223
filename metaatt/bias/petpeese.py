"""PET-PEESE: the conditional precision-effect estimator of Stanley & Doucouliagos (2014)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._format import TextSummary, fmt
from .._validate import check_choice, check_fraction
from ..errors import MetaattError
from ._report import SYNTHETIC_BANNER, html_block, p_clause
from .egger import MODELS, EggerTestResult, egger_test

__all__ = ["PetPeeseResult", "pet_peese"]


@dataclass(frozen=True, repr=False)
class PetPeeseResult(TextSummary):
    """PET and PEESE limit estimates and the conditionally chosen one.

    ``pet`` regresses the outcomes on their standard errors, ``peese`` on their sampling
    variances (both :class:`~metaatt.bias.egger.EggerTestResult`; the limit estimate is the
    intercept). ``chosen`` is ``"PEESE"`` when PET's test of a zero intercept rejects at
    ``alpha`` and ``"PET"`` otherwise; ``estimate``, ``se``, ``ci_low``, ``ci_high`` and
    ``pval`` are those of the chosen estimator.
    """

    pet: EggerTestResult
    peese: EggerTestResult
    chosen: str
    alpha: float
    one_sided: bool
    pet_intercept_pval: float

    @property
    def selected(self) -> EggerTestResult:
        return self.peese if self.chosen == "PEESE" else self.pet

    @property
    def estimate(self) -> float:
        return self.selected.estimate

    @property
    def se(self) -> float:
        return float(self.selected.coef_se[0])

    @property
    def ci_low(self) -> float:
        return self.selected.ci_low

    @property
    def ci_high(self) -> float:
        return self.selected.ci_high

    @property
    def pval(self) -> float:
        """Two-sided p-value of the chosen estimator's intercept."""
        sel = self.selected
        return _intercept_pval(sel)

    def to_frame(self) -> pd.DataFrame:
        """One row per estimator (PET, PEESE) with ``chosen`` marking the selected one."""
        rows = []
        for name, res in (("PET", self.pet), ("PEESE", self.peese)):
            rows.append(
                {
                    "estimator": name,
                    "estimate": res.estimate,
                    "se": float(res.coef_se[0]),
                    "pval": _intercept_pval(res),
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                    "slope": res.slope,
                    "slope_pval": res.pval,
                    "chosen": name == self.chosen,
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "alpha": self.alpha,
            "one_sided": self.one_sided,
            "pet_intercept_pval": self.pet_intercept_pval,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "pval": self.pval,
            "pet": self.pet.to_dict(),
            "peese": self.peese.to_dict(),
        }

    def summary(self) -> str:
        lines = [SYNTHETIC_BANNER, ""] if self.pet.synthetic else []
        pct = f"{100 * self.pet.level:g}%"
        sided = "one-sided" if self.one_sided else "two-sided"
        lines += [
            f"PET-PEESE (model {self.pet.model}, k = {self.pet.k})",
            "",
            f"PET   (on sei): b0 = {fmt(self.pet.estimate)} ({pct} CI {fmt(self.pet.ci_low)} to "
            f"{fmt(self.pet.ci_high)}), p {p_clause(self.pet_intercept_pval)} ({sided})",
            f"PEESE (on vi):  b0 = {fmt(self.peese.estimate)} ({pct} CI "
            f"{fmt(self.peese.ci_low)} to {fmt(self.peese.ci_high)})",
            "",
            f"PET {'rejects' if self.chosen == 'PEESE' else 'does not reject'} b0 = 0 at "
            f"alpha = {self.alpha:g}: the {self.chosen} estimate {fmt(self.estimate)} is used.",
        ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"PetPeeseResult(chosen={self.chosen!r}, estimate={self.estimate:.4g})"

    def _repr_html_(self) -> str:
        return html_block("PET-PEESE", self.summary(), self.to_frame())


def _intercept_pval(res: EggerTestResult) -> float:
    from .._fit import two_sided_p

    z = res.coef[0] / res.coef_se[0]
    return float(two_sided_p(np.array([z]), np.array([res.df]))[0])


def pet_peese(
    result: Any,
    *,
    model: str = "lm",
    alpha: float = 0.05,
    one_sided: bool = False,
    level: float | None = None,
) -> PetPeeseResult:
    """PET-PEESE limit estimate of the effect adjusted for small-study effects.

    Parameters
    ----------
    result
        A fitted model without moderators (:func:`metaatt.pool`).
    model
        ``"lm"`` (default): weighted least squares with weights ``1/vi`` and a
        multiplicative dispersion term, as Stanley & Doucouliagos (2014); ``"rma"``: a
        meta-regression with the model's own tau^2 method and test.
    alpha
        Significance level of PET's test of a zero intercept.
    one_sided
        ``False`` (default): PEESE is chosen when the two-sided p-value of PET's intercept
        is below ``alpha``. ``True``: a one-sided test in the direction of the PET estimate
        (the two-sided p-value halved), as often used after Stanley & Doucouliagos (2014).
    level
        Confidence level of the intervals (default: the result's level).

    Returns
    -------
    PetPeeseResult
        Both limit estimates and the conditionally chosen one.

    Notes
    -----
    PET: ``y_i = b0 + b1 sqrt(v_i) + e_i``; PEESE: ``y_i = b0 + b1 v_i + e_i``; both
    weighted by ``1/v_i`` (metafor: ``regtest(model = "lm", predictor = "sei")`` and
    ``predictor = "vi"``, whose limit estimates these are). Conditional rule
    (Stanley & Doucouliagos 2014, sec. 3): if PET's test of ``H0: b0 = 0`` does not reject,
    there is no evidence of a genuine effect and the PET estimate is reported; otherwise the
    less biased PEESE estimate is. The rule's test level and sidedness are choices
    (``alpha``, ``one_sided``); they are reported in the result.

    References
    ----------
    Stanley, T. D., & Doucouliagos, H. (2014). Meta-regression approximations to reduce
    publication selection bias. Research Synthesis Methods, 5, 60-78. Stanley, T. D.
    (2017). Limitations of PET-PEESE and other meta-analysis methods. Social Psychological
    and Personality Science, 8, 581-591.
    """
    model = check_choice(model, "model", MODELS)
    alpha = check_fraction(alpha, "alpha")
    pet = egger_test(result, model=model, predictor="sei", level=level)
    peese = egger_test(result, model=model, predictor="vi", level=level)
    if not np.isfinite(pet.estimate):
        raise MetaattError("pet_peese: only defined for models without moderators")
    p = _intercept_pval(pet)
    if one_sided:
        p = p / 2.0
    chosen = "PEESE" if p < alpha else "PET"
    return PetPeeseResult(
        pet=pet,
        peese=peese,
        chosen=chosen,
        alpha=alpha,
        one_sided=bool(one_sided),
        pet_intercept_pval=p,
    )
