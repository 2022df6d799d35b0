"""scipy's paired tests and numpy's bootstrap percentiles for the cases on stdin: ttest_rel(b, a); wilcoxon(b, a)
with its defaults and with mode 'approx'; the signed-rank permutation test as SciPy 1.15's wilcoxon runs it for small
samples with ties or zeros (permutation_test of R+ over the signs); and, for each bootstrap case, the percentiles of
the mean difference over the resample indices given."""
import json
import sys
import warnings

import numpy as np
from scipy import stats

warnings.simplefilter("ignore")  # scipy warns of small samples and of switching to the approximation


def nan_to_none(value):
    value = float(value)
    return None if np.isnan(value) else value


def rank_sum_plus(d):
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))
    return float(np.sum(ranks[d > 0]))


def wilcoxon(d, **options):
    try:
        result = stats.wilcoxon(d, **options)
        return {"statistic": float(result.statistic), "pValue": nan_to_none(result.pvalue)}
    except ValueError as error:
        return {"error": str(error)}


request = json.load(sys.stdin)
results = []
for case in request["paired"]:
    a, b = np.asarray(case["a"], dtype=np.float64), np.asarray(case["b"], dtype=np.float64)
    d = b - a
    t = stats.ttest_rel(b, a) if len(a) >= 2 else None
    permutation = stats.permutation_test((d,), rank_sum_plus, permutation_type="samples", vectorized=False,
                                         alternative="two-sided") if len(d) <= 13 and np.any(d != 0) else None
    results.append({
        "t": None if t is None else {"t": nan_to_none(t.statistic), "pValue": nan_to_none(t.pvalue), "df": float(t.df)},
        "wilcoxon": wilcoxon(d),
        "wilcoxonApprox": wilcoxon(d, mode="approx"),
        "permutation": None if permutation is None else float(permutation.pvalue),
    })
bootstraps = []
for case in request["bootstrap"]:
    d = np.asarray(case["differences"], dtype=np.float64)
    means = d[np.asarray(case["indices"], dtype=np.intp)].mean(axis=1)
    bootstraps.append([float(v) for v in np.percentile(means, case["percents"])])
json.dump({"paired": results, "bootstrap": bootstraps}, sys.stdout)
