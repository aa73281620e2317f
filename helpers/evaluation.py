"""Statistics for comparing classifiers on the same folds: sample std, paired t over folds, McNemar, chance band."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from helpers.i18n import _


def sample_std(scores: Sequence[float]) -> float:
    """Sample standard deviation (ddof = 1) of per-fold scores."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) < 2:
        raise ValueError(f"a sample standard deviation needs at least 2 scores, got {len(scores)}")
    return float(np.std(scores, ddof=1))


@dataclass
class Paired:
    """A paired comparison of model A with model B: the mean difference A - B and its two-sided p-value."""

    test: str
    difference: float
    p: float
    detail: str

    def verdict(self, alpha: float = 0.05) -> str:
        """'A better', 'B better' or 'tie' (not significant at `alpha`)."""
        if self.p >= alpha:
            return "tie"
        return "A better" if self.difference > 0 else "B better"

    def __str__(self) -> str:
        return _("{difference:+.3f} ({test}: {detail}, p = {p:.2g})").format(difference=self.difference,
                                                                           test=self.test, detail=self.detail, p=self.p)


def pair_name(a: str, b: str) -> str:
    """The name of a comparison of model a with model b, in the course's language."""
    return _("{a} vs {b}").format(a=a, b=b)


def paired_t(scores_a: Sequence[float], scores_b: Sequence[float]) -> Paired:
    """Paired t-test over folds: the mean per-fold difference A - B, its sample std, t and the two-sided p."""
    a, b = np.asarray(scores_a, dtype=float), np.asarray(scores_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired scores need the same folds: got {a.shape} and {b.shape}")
    diff = a - b
    spread = sample_std(diff)
    if spread == 0:
        p, t = (1.0, 0.0) if diff.mean() == 0 else (0.0, float("inf") * np.sign(diff.mean()))
    else:
        t = float(diff.mean() / (spread / np.sqrt(len(diff))))
        p = float(2 * stats.t.sf(abs(t), df=len(diff) - 1))
    return Paired("paired t", float(diff.mean()), p, f"sample std of the differences {spread:.3f}, "
                                                     f"t = {t:.2f}, {len(diff) - 1} df")


def corrected_paired_t(scores_a: Sequence[float], scores_b: Sequence[float], n_train: int, n_test: int) -> Paired:
    """Nadeau & Bengio's (2003) corrected resampled t over folds: the variance of the mean difference is scaled by
    (1/k + n_test/n_train) instead of 1/k, because the folds' training sets overlap; two-sided p, k - 1 df."""
    a, b = np.asarray(scores_a, dtype=float), np.asarray(scores_b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"paired scores need the same folds: got {a.shape} and {b.shape}")
    diff = a - b
    k, spread = len(diff), sample_std(diff)
    scale = np.sqrt(1 / k + n_test / n_train) * spread
    if scale == 0:
        p, t = (1.0, 0.0) if diff.mean() == 0 else (0.0, float("inf") * np.sign(diff.mean()))
    else:
        t = float(diff.mean() / scale)
        p = float(2 * stats.t.sf(abs(t), df=k - 1))
    return Paired("corrected paired t", float(diff.mean()), p, _("t = {t:.2f}, {df} df").format(t=t, df=k - 1))


def corrected_t_interval(scores_a: Sequence[float], scores_b: Sequence[float], n_train: int, n_test: int,
                         level: float = 0.95) -> tuple[float, float]:
    """The `level` interval of the mean difference A - B from the corrected resampled t (k - 1 df)."""
    diff = np.asarray(scores_a, dtype=float) - np.asarray(scores_b, dtype=float)
    k = len(diff)
    half = stats.t.ppf((1 + level) / 2, df=k - 1) * np.sqrt(1 / k + n_test / n_train) * sample_std(diff)
    return float(diff.mean() - half), float(diff.mean() + half)


def mcnemar(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> Paired:
    """Exact McNemar test on the same examples: only those where exactly one model is right count."""
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"McNemar needs predictions on the same examples: got {a.shape} and {b.shape}")
    only_a, only_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    p = 1.0 if only_a + only_b == 0 else float(stats.binomtest(only_a, only_a + only_b, 0.5).pvalue)
    return Paired("McNemar", float(a.mean() - b.mean()), p,
                  _("only A right {only_a}, only B right {only_b}").format(only_a=only_a, only_b=only_b))


def comparison_table(mcnemars: dict[tuple[str, str], Paired], t_tests: dict[tuple[str, str], Paired],
                     intervals: dict[tuple[str, str], tuple[float, float]]) -> str:
    """A Markdown table of paired comparisons A vs B: difference, corrected t (interval, p), McNemar and its verdict."""
    rows = [_("| A vs B | accuracy difference | corrected t: 95 % interval, p | McNemar: only A right / only B right, "
              "p | McNemar at 0.05 |"), "|---|---|---|---|---|"]
    for (a, b), mc in mcnemars.items():
        low, high = intervals[a, b]
        verdict = {"tie": _("no detectable difference"), "A better": _("{name} better").format(name=a),
                   "B better": _("{name} better").format(name=b)}
        only = " / ".join(re.findall(r"\d+", mc.detail))  # the two counts, in the detail's own language
        rows.append(_("| {a} vs {b} | {difference:+.3f} | {low:+.3f} to {high:+.3f}, p = {t_p:.3f} | {only}, p = "
                      "{mc_p:.2g} | {verdict} |").format(a=a, b=b, difference=mc.difference, low=low, high=high,
                                                         t_p=t_tests[a, b].p, only=only, mc_p=mc.p,
                                                         verdict=verdict[mc.verdict()]))
    return "\n".join(rows)


def chance_band(n: int, level: float = 0.95) -> tuple[float, float]:
    """The accuracies a coin-flip classifier reaches on `n` balanced examples with probability `level`."""
    low, high = stats.binom.interval(level, n, 0.5)
    return float(low / n), float(high / n)


def expected_crossings(n_models: int, level: float = 0.95) -> float:
    """How many of `n_models` chance-level models are expected outside a `level` chance band by luck alone."""
    return n_models * (1 - level)
