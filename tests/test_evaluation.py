"""helpers.evaluation: the statistics notebook 05 compares its models with."""

import numpy as np
import pytest
from scipy import stats

from helpers import evaluation


def test_sample_std_uses_ddof_1():
    assert evaluation.sample_std([1.0, 2.0, 3.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 2"):
        evaluation.sample_std([1.0])


def test_paired_t_matches_scipy_and_is_signed():
    a, b = [0.62, 0.60, 0.65, 0.70], [0.60, 0.59, 0.61, 0.66]
    result = evaluation.paired_t(a, b)
    reference = stats.ttest_rel(a, b)
    assert result.p == pytest.approx(reference.pvalue)
    assert result.difference == pytest.approx(np.mean(np.subtract(a, b)))
    assert evaluation.paired_t(b, a).difference == pytest.approx(-result.difference)
    assert result.verdict() == "A better" and evaluation.paired_t(b, a).verdict() == "B better"


def test_paired_t_of_identical_scores_is_a_tie():
    assert evaluation.paired_t([0.5, 0.6], [0.5, 0.6]).verdict() == "tie"
    with pytest.raises(ValueError, match="same folds"):
        evaluation.paired_t([0.5, 0.6], [0.5, 0.6, 0.7])


def test_mcnemar_counts_only_the_discordant_examples():
    a = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0], bool)
    b = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 1], bool)
    result = evaluation.mcnemar(a, b)
    assert "only A right 6, only B right 1" in result.detail
    assert result.p == pytest.approx(stats.binomtest(6, 7, 0.5).pvalue)
    assert result.difference == pytest.approx(0.8 - 0.3)
    assert evaluation.mcnemar(a, a).p == 1.0


def test_chance_band_and_expected_crossings():
    low, high = evaluation.chance_band(1000)
    assert 0.46 < low < 0.5 < high < 0.54 and low + high == pytest.approx(1.0)
    assert evaluation.expected_crossings(6) == pytest.approx(0.3)


def test_corrected_paired_t_is_wider_than_the_plain_one():
    a, b = [0.70, 0.74, 0.69], [0.66, 0.69, 0.67]
    plain = evaluation.paired_t(a, b)
    corrected = evaluation.corrected_paired_t(a, b, n_train=3000, n_test=1500)
    assert corrected.difference == pytest.approx(plain.difference)
    t_plain = float(plain.detail.split("t = ")[1].split(",")[0])
    assert float(corrected.detail.split("t = ")[1].split(",")[0]) == pytest.approx(
        t_plain / np.sqrt(1 + 3 * 0.5), abs=0.01)
    assert corrected.p > plain.p


def test_corrected_t_interval_is_centred_and_excludes_zero_when_p_is_small():
    a, b = [0.70, 0.72, 0.71], [0.60, 0.61, 0.62]
    low, high = evaluation.corrected_t_interval(a, b, n_train=3000, n_test=1500)
    assert np.isclose((low + high) / 2, np.mean(np.subtract(a, b)))
    assert (low > 0) == (evaluation.corrected_paired_t(a, b, n_train=3000, n_test=1500).p < 0.05)


def test_comparison_table_names_the_better_model_and_both_tests():
    mc = {("A", "B"): evaluation.mcnemar([True] * 30 + [False] * 10, [False] * 30 + [True] * 10)}
    t = {("A", "B"): evaluation.paired_t([0.7, 0.8, 0.75], [0.6, 0.65, 0.7])}
    table = evaluation.comparison_table(mc, t, {("A", "B"): (0.01, 0.2)})
    row = table.splitlines()[-1]
    assert row.startswith("| A vs B | +0.500 | +0.010 to +0.200, p = ")
    assert "30 / 10" in row and row.endswith("| A better |")
