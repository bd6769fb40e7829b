"""Intervals and tests: Wilson score intervals, percentile bootstrap, two-sample and paired tests.

Every estimate comes with an interval and every comparison names its test. Samples smaller than
`SMALL_N` are flagged (``small_sample=True``) rather than hidden.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import stats

#: Below this many runs an estimate is flagged as a small sample.
SMALL_N = 30
CONFIDENCE = 0.95


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(0.5 + confidence / 2))


def wilson_interval(
    k: np.ndarray | int, n: np.ndarray | int, confidence: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (lower, upper) for `k` successes in `n` trials; NaN where n = 0.
    Exactly 0 (1) when k = 0 (k = n), not a rounding residue such as 5.6e-17."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lo = np.where(n > 0, np.where(k == 0, 0.0, np.clip(centre - half, 0, 1)), np.nan)
    hi = np.where(n > 0, np.where(k == n, 1.0, np.clip(centre + half, 0, 1)), np.nan)
    return lo, hi


def proportion(k: int, n: int, confidence: float = CONFIDENCE) -> dict[str, float | bool]:
    """Share `k/n` with its Wilson interval and a small-sample flag."""
    lo, hi = wilson_interval(k, n, confidence)
    return {
        "k": int(k),
        "n": int(n),
        "p": k / n if n else np.nan,
        "lo": float(lo),
        "hi": float(hi),
        "small_sample": n < SMALL_N,
    }


def percent(p: float, lo: float, hi: float) -> str:
    """A probability for reading: ``12.5 % (8.1–18.0 %)`` (share with its interval); ``–`` if
    unknown."""
    if pd.isna(p):
        return "–"
    return f"{p:.1%} ({lo:.1%}–{hi:.1%})".replace("%", " %")


def in_order(table: pd.DataFrame, settings: pd.Series) -> pd.DataFrame:
    """`table` with its ``setting`` column ordered like `settings` when those are ordered (a
    categorical from ``setting_labels``: 2.5 before 10), so plots and tables keep that order."""
    if isinstance(settings.dtype, pd.CategoricalDtype) and "setting" in table:
        categories = settings.cat.categories
        table["setting"] = pd.Categorical(table["setting"], categories=categories, ordered=True)
    return table


def proportion_table(
    flags: pd.Series, groups: pd.Series | None = None, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """P(flag) per group with Wilson intervals; NaN flags (failed runs) are left out of n."""
    groups = groups if groups is not None else pd.Series("all", index=flags.index)
    rows = []
    for g, f in flags.groupby(groups, sort=True):
        f = f.dropna().astype(bool)
        rows.append({"setting": g, **proportion(int(f.sum()), len(f), confidence)})
    return in_order(pd.DataFrame(rows), groups)


def bootstrap_ci(
    values: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray] = np.mean,
    n_boot: int = 2000,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic` (vectorised along axis 1); NaN if n < 2."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    samples = x[rng.integers(0, len(x), size=(n_boot, len(x)))]
    boot = statistic(samples, axis=1)
    a = (1 - confidence) / 2
    return float(np.quantile(boot, a)), float(np.quantile(boot, 1 - a))


def mean_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Interval of the mean: Student-t from n ≥ `SMALL_N` values (the sampling distribution of
    the mean is then close to normal; no resampling, so it costs O(n) at any size), else the
    percentile bootstrap; NaN if n < 2 (NaN values dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < SMALL_N:
        return bootstrap_ci(x, confidence=confidence)
    res = t_interval(x, confidence)
    return float(res["lo"]), float(res["hi"])


def mean_with_ci(values: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, float | bool]:
    """Mean with its interval (`mean_interval`), median, 5/95 % quantiles, n and small flag."""
    x = np.asarray(values, dtype=float)
    n_missing = int(np.isnan(x).sum())
    x = x[~np.isnan(x)]
    lo, hi = mean_interval(x, confidence)
    return {
        "n": len(x),
        "n_missing": n_missing,
        "mean": float(x.mean()) if len(x) else np.nan,
        "lo": lo,
        "hi": hi,
        "median": float(np.median(x)) if len(x) else np.nan,
        "q05": float(np.quantile(x, 0.05)) if len(x) else np.nan,
        "q95": float(np.quantile(x, 0.95)) if len(x) else np.nan,
        "small_sample": len(x) < SMALL_N,
    }


def _is_binary(x: np.ndarray) -> bool:
    return bool(len(x)) and bool(np.isin(x, (0.0, 1.0)).all())


def compare_independent(
    a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE, seed: int = 0
) -> dict[str, float | str | bool]:
    """Compare two independent samples: difference of means (b − a) with a Welch t interval
    (both n ≥ `SMALL_N`) or a bootstrap interval.

    Test: Fisher's exact test for 0/1 outcomes, else two-sided Mann–Whitney U; effect size is
    Cliff's delta (P(b > a) − P(b < a) = 2U/(n_a n_b) − 1).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    out: dict[str, float | str | bool] = {
        "n_a": len(a),
        "n_b": len(b),
        "mean_a": float(a.mean()) if len(a) else np.nan,
        "mean_b": float(b.mean()) if len(b) else np.nan,
    }
    out["diff"] = out["mean_b"] - out["mean_a"]
    out["small_sample"] = min(len(a), len(b)) < SMALL_N
    if len(a) < 2 or len(b) < 2:
        return {**out, "lo": np.nan, "hi": np.nan, "test": "none (n<2)", "p_value": np.nan}
    if min(len(a), len(b)) >= SMALL_N:
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        se = np.sqrt(va + vb)
        dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else 1.0
        half = float(stats.t.ppf(0.5 + confidence / 2, dof)) * se
        out["lo"], out["hi"] = out["diff"] - half, out["diff"] + half
    else:
        rng = np.random.default_rng(seed)
        boot = b[rng.integers(0, len(b), (2000, len(b)))].mean(1) - a[
            rng.integers(0, len(a), (2000, len(a)))
        ].mean(1)
        q = (1 - confidence) / 2
        out["lo"], out["hi"] = float(np.quantile(boot, q)), float(np.quantile(boot, 1 - q))
    if _is_binary(a) and _is_binary(b):
        table = [[int(b.sum()), len(b) - int(b.sum())], [int(a.sum()), len(a) - int(a.sum())]]
        out["test"] = "Fisher exact"
        out["p_value"] = float(stats.fisher_exact(table).pvalue)
    elif np.ptp(np.concatenate([a, b])) == 0:
        out["test"], out["p_value"] = "none (constant)", 1.0
    else:
        res = stats.mannwhitneyu(b, a, alternative="two-sided")
        out["test"] = "Mann-Whitney U"
        out["p_value"] = float(res.pvalue)
    u = stats.mannwhitneyu(b, a, alternative="two-sided", method="asymptotic").statistic
    out["cliffs_delta"] = float(2 * u / (len(a) * len(b)) - 1)
    return out


def compare_paired(
    a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE, seed: int = 0
) -> dict[str, float | str | bool]:
    """Paired comparison of `b − a` (pairs dropped where either is NaN).

    Mean difference with its interval over pairs (`mean_interval`: t from `SMALL_N` pairs, else
    bootstrap). Test: exact McNemar (binomial test on the discordant pairs) for 0/1 outcomes,
    else Wilcoxon signed-rank.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    d = b - a
    lo, hi = mean_interval(d, confidence) if len(d) >= SMALL_N else bootstrap_ci(d, seed=seed)
    out: dict[str, float | str | bool] = {
        "n_pairs": len(d),
        "mean_a": float(a.mean()) if len(a) else np.nan,
        "mean_b": float(b.mean()) if len(b) else np.nan,
        "diff": float(d.mean()) if len(d) else np.nan,
        "lo": lo,
        "hi": hi,
        "sd_diff": float(d.std(ddof=1)) if len(d) > 1 else np.nan,
        "small_sample": len(d) < SMALL_N,
    }
    if len(d) < 2:
        return {**out, "test": "none (n<2)", "p_value": np.nan}
    if _is_binary(a) and _is_binary(b):
        up, down = int(((a == 0) & (b == 1)).sum()), int(((a == 1) & (b == 0)).sum())
        out["test"] = "exact McNemar"
        out["p_value"] = float(stats.binomtest(up, up + down).pvalue) if up + down else 1.0
    elif np.all(d == 0):
        out["test"], out["p_value"] = "none (all pairs equal)", 1.0
    else:
        out["test"] = "Wilcoxon signed-rank"
        out["p_value"] = float(stats.wilcoxon(d, zero_method="wilcox").pvalue)
    return out


def t_interval(values: np.ndarray, confidence: float = CONFIDENCE) -> dict[str, float | bool]:
    """Mean of `values` (NaN dropped) with a Student-t interval and the two-sided one-sample
    t-test of mean 0 (for paired differences: the paired t-test). With zero spread the interval
    is the mean itself and p is 1 if the mean is 0, else 0; NaN when n < 2."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    out: dict[str, float | bool] = {"n": n, "mean": float(x.mean()) if n else np.nan}
    out["small_sample"] = n < SMALL_N
    if n < 2:
        return {**out, "lo": np.nan, "hi": np.nan, "p_value": np.nan}
    sd = float(x.std(ddof=1))
    if sd == 0:
        return {
            **out,
            "lo": out["mean"],
            "hi": out["mean"],
            "p_value": 1.0 if out["mean"] == 0 else 0.0,
        }
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / np.sqrt(n)
    p = float(2 * stats.t.sf(abs(out["mean"]) / (sd / np.sqrt(n)), n - 1))
    return {**out, "lo": float(out["mean"] - half), "hi": float(out["mean"] + half), "p_value": p}
