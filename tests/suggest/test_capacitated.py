"""Capacitated location models (access30.locate.capacitated).

Optima are checked against brute force over every k-subset of candidates on small seeded
instances (hand-made: random points in a 10 × 10 square, named as such), each subset's best
assignment being a transportation LP solved independently with ``scipy.optimize.linprog``.
Then the properties: capacities and populations respected by the returned assignment, the
capacitated optimum never above the uncapacitated one (maximal covering) nor below it
(p-median), equal to it when capacities are huge, and the benchmark's quick mode.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from access30.base.errors import InputError
from access30.locate.capacitated import CapacitatedMaxCover, CapacitatedMedian, _merge_identical
from access30.locate.maxcover import solve_maxcover
from tests.paths import REPO

ROOT = REPO
THRESHOLD_S = 1200.0  # 20 minutes in the fixtures
PENALTY_S = 3600.0


def fixture(seed: int, n_units: int = 30, n_existing: int = 2, n_cand: int = 8, cap_scale: float = 1.0):
    """Seeded hand-made instance: units, existing sites and candidates at random points of a 10 × 10
    square, time = distance × 300 s, pairs within 20 minutes; capacities of 50–300 (existing) and
    50–500 (candidates) people, so that some bind and some do not."""
    rng = np.random.default_rng(seed)
    pu, pe, pc = (rng.uniform(0, 10, (n, 2)) for n in (n_units, n_existing, n_cand))
    pop = rng.integers(1, 100, n_units) * rng.uniform(0.5, 1.5, n_units)
    pop[rng.random(n_units) < 0.1] = 0.0  # empty cells exist on real grids
    de = np.linalg.norm(pu[:, None] - pe[None], axis=2) * 300.0
    dc = np.linalg.norm(pu[:, None] - pc[None], axis=2) * 300.0
    te = sp.csr_matrix(np.where(de <= THRESHOLD_S, de, 0.0))
    tc = sp.csr_matrix(np.where(dc <= THRESHOLD_S, dc, 0.0))
    cap_e = rng.uniform(50, 300, n_existing) * cap_scale
    cap_c = rng.uniform(50, 500, n_cand) * cap_scale
    return te, tc, pop, cap_e, cap_c, de, dc


def transportation(times: np.ndarray, pop: np.ndarray, cap: np.ndarray, maximise: bool) -> float:
    """Best assignment of ``pop`` to open sites (dense times, inf = no pair), by linprog.

    maximise: most people served; else least Σ t x + PENALTY_S × unserved people."""
    ii, jj = np.nonzero(np.isfinite(times))
    if ii.size == 0:
        return 0.0 if maximise else PENALTY_S * pop.sum()
    cost = -np.ones(ii.size) if maximise else times[ii, jj] - PENALTY_S
    a = np.zeros((pop.size + cap.size, ii.size))
    a[ii, np.arange(ii.size)] = 1.0
    a[pop.size + jj, np.arange(ii.size)] = 1.0
    res = linprog(cost, A_ub=a, b_ub=np.r_[pop, cap], bounds=(0, None), method="highs")
    assert res.status == 0
    return -res.fun if maximise else res.fun + PENALTY_S * pop.sum()


def brute_force(te_dense, tc_dense, pop, cap_e, cap_c, k, maximise, capacitated=True):
    """Best objective over every k-subset of candidates (opening more never hurts either model)."""
    best = -np.inf if maximise else np.inf
    inf_e = np.where(te_dense <= THRESHOLD_S, te_dense, np.inf)
    for subset in itertools.combinations(range(tc_dense.shape[1]), k):
        s = list(subset)
        times = np.hstack([inf_e, np.where(tc_dense[:, s] <= THRESHOLD_S, tc_dense[:, s], np.inf)])
        if capacitated:
            value = transportation(times, pop, np.r_[cap_e, cap_c[s]], maximise)
        elif maximise:  # uncapacitated covering: people with any open site within reach
            value = float(pop[np.isfinite(times).any(axis=1)].sum())
        else:  # uncapacitated median: nearest open site, capped at the penalty
            value = float(np.dot(pop, np.minimum(times.min(axis=1), PENALTY_S)))
        best = max(best, value) if maximise else min(best, value)
    return best


def check_assignment(result, te, tc, pop, threshold_s=None):
    a = result.assignment.tocoo()
    assert (a.data >= 0).all()
    # Capacities and populations respected, exactly up to float rounding.
    served = np.bincount(a.col, weights=a.data, minlength=result.capacity.size)
    assert np.all(served <= result.capacity * (1 + 1e-12) + 1e-9)
    assert served == pytest.approx(result.served)
    per_unit = np.bincount(a.row, weights=a.data, minlength=pop.size)
    assert np.all(per_unit <= pop * (1 + 1e-12) + 1e-9)
    assert result.unassigned == pytest.approx(np.maximum(pop - per_unit, 0.0), abs=1e-7)
    # Only on stored pairs (within the threshold), only at existing or chosen sites.
    allowed = sp.hstack([te, tc]).tocsr()
    pair_ok = np.asarray(allowed[a.row, a.col]).ravel() > 0
    assert pair_ok[a.data > 1e-12].all()
    n_e = te.shape[1]
    used_cand = np.unique(a.col[(a.col >= n_e) & (a.data > 1e-12)]) - n_e
    assert set(used_cand.tolist()) <= set(result.chosen.tolist())
    if threshold_s is not None:
        times = np.asarray(allowed[a.row, a.col]).ravel()
        assert (times[a.data > 1e-12] <= threshold_s).all()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("formulation", ["benders", "compact"])
def test_maxcover_equals_brute_force(seed, formulation):
    te, tc, pop, cap_e, cap_c, de, dc = fixture(seed)
    for k in (1, 2, 3):
        result = CapacitatedMaxCover(te, tc, pop, cap_e, k, threshold_min=THRESHOLD_S / 60, capacity_new=cap_c,
                                     formulation=formulation).solve()
        expected = brute_force(de, dc, pop, cap_e, cap_c, k, maximise=True)
        assert result.optimal, result.status
        assert result.objective == pytest.approx(expected, rel=1e-7)
        assert result.bound == pytest.approx(result.objective, rel=1e-7) and result.gap == 0.0
        assert result.chosen.size <= k
        assert result.served_population == pytest.approx(result.objective, rel=1e-9)
        check_assignment(result, te, tc, pop, THRESHOLD_S)
        # Capacities can only cost coverage.
        assert result.objective <= brute_force(de, dc, pop, cap_e, cap_c, k, True, capacitated=False) + 1e-7


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("formulation", ["benders", "compact"])
def test_median_equals_brute_force(seed, formulation):
    te, tc, pop, cap_e, cap_c, de, dc = fixture(seed)
    for k in (1, 2, 3):
        result = CapacitatedMedian(te, tc, pop, cap_e, k, capacity_new=cap_c, penalty_s=PENALTY_S,
                                   formulation=formulation).solve()
        expected = brute_force(de, dc, pop, cap_e, cap_c, k, maximise=False)
        assert result.optimal, result.status
        assert result.objective == pytest.approx(expected, rel=1e-7)
        assert result.bound == pytest.approx(result.objective, rel=1e-7)
        check_assignment(result, te, tc, pop)
        # The objective is what the assignment costs.
        a = result.assignment.tocoo()
        times = np.asarray(sp.hstack([te, tc]).tocsr()[a.row, a.col]).ravel()
        cost = float(np.dot(times, a.data) + PENALTY_S * result.unassigned.sum())
        assert result.objective == pytest.approx(cost, rel=1e-9)
        assert result.mean_time_min == pytest.approx(np.dot(times, a.data) / a.data.sum() / 60)
        # Capacities can only cost time.
        assert result.objective >= brute_force(de, dc, pop, cap_e, cap_c, k, False, capacitated=False) - 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_huge_capacities_equal_uncapacitated(seed):
    te, tc, pop, cap_e, cap_c, de, dc = fixture(seed, cap_scale=1e6)
    for k in (1, 2, 3):
        cover = CapacitatedMaxCover(te, tc, pop, cap_e, k, threshold_min=THRESHOLD_S / 60, capacity_new=cap_c).solve()
        assert cover.optimal
        assert cover.objective == pytest.approx(brute_force(de, dc, pop, cap_e, cap_c, k, True, False), rel=1e-9)
        median = CapacitatedMedian(te, tc, pop, cap_e, k, capacity_new=cap_c, penalty_s=PENALTY_S).solve()
        assert median.optimal
        assert median.objective == pytest.approx(brute_force(de, dc, pop, cap_e, cap_c, k, False, False), rel=1e-9)


def test_huge_capacities_match_the_projects_uncapacitated_maxcover():
    """On a larger seeded instance (beyond brute force), against access30.locate.maxcover.solve_maxcover."""
    te, tc, pop, cap_e, _, de, dc = fixture(11, n_units=600, n_existing=3, n_cand=60, cap_scale=1e6)
    covered0 = np.asarray((te != 0).sum(axis=1)).ravel() > 0
    rest = np.flatnonzero(~covered0)
    cover = sp.csr_matrix(tc[rest].T != 0)
    for k in (2, 4):
        ref = solve_maxcover(cover, pop[rest], k, time_limit_s=60)
        ours = CapacitatedMaxCover(te, tc, pop, cap_e, k, threshold_min=None, capacity_new=1e9).solve()
        assert ref.optimal and ours.optimal
        assert ours.objective == pytest.approx(ref.objective + pop[covered0].sum(), rel=1e-9)


def test_capacity_binds_on_a_hand_made_case():
    # Hand-made: 2 units of 100 people, 1 existing site (capacity 50) reaching both, 2 candidates:
    # c0 reaches unit 0 (capacity 30), c1 reaches both units (capacity 80). k = 1.
    # Open c0: 50 + 30 = 80 served; open c1: 50 + 80 = 130 served. Uncapacitated both cover 200.
    te = sp.csr_matrix(np.array([[600.0], [900.0]]))
    tc = sp.csr_matrix(np.array([[300.0, 700.0], [0.0, 400.0]]))
    pop = np.array([100.0, 100.0])
    r = CapacitatedMaxCover(te, tc, pop, [50.0], 1, capacity_new=[30.0, 80.0]).solve()
    assert r.chosen.tolist() == [1] and r.objective == pytest.approx(130.0) and r.optimal
    assert r.served.tolist() == pytest.approx([50.0, 0.0, 80.0])
    assert r.unassigned.sum() == pytest.approx(70.0)
    # p-median, penalty 1 h: serve as many as possible first (130), at the least time.
    # Best: existing (50) takes unit 0 at 600 s, c1 (80) takes unit 1 at 400 s:
    # 50 * 600 + 80 * 400 + 70 * 3600 = 30,000 + 32,000 + 252,000 = 314,000 person-seconds.
    m = CapacitatedMedian(te, tc, pop, [50.0], 1, capacity_new=[30.0, 80.0], penalty_s=3600).solve()
    assert m.chosen.tolist() == [1] and m.objective == pytest.approx(314_000.0) and m.optimal
    assert m.mean_time_min == pytest.approx((30_000 + 32_000) / 130 / 60)


def test_unassigned_people_split_into_out_of_reach_and_short_of_capacity():
    # Hand-made: the hand-made case above plus a third unit of 40 people that no site reaches.
    te = sp.csr_matrix(np.array([[600.0], [900.0], [0.0]]))  # the 0 is not stored: no pair
    tc = sp.csr_matrix(np.array([[300.0, 700.0], [0.0, 400.0], [0.0, 0.0]]))
    pop = np.array([100.0, 100.0, 40.0])
    for r in (CapacitatedMaxCover(te, tc, pop, [50.0], 1, capacity_new=[30.0, 80.0]).solve(),
              CapacitatedMedian(te, tc, pop, [50.0], 1, capacity_new=[30.0, 80.0], penalty_s=3600).solve()):
        assert r.reachable_open.tolist() == [True, True, False]
        assert r.reachable_open_population == pytest.approx(200.0)
        assert r.unserved_for_capacity == pytest.approx(70.0) and r.unassigned_population == pytest.approx(110.0)
        notice = next(n for n in r.notices if n.code == "unassigned")
        assert "40 hors de portée" in notice.message and "70 faute de capacité" in notice.message


def test_threshold_is_inclusive_and_filters_pairs():
    te = sp.csr_matrix(np.array([[1800.0], [1800.5]]))
    tc = sp.csr_matrix(np.array([[0.0], [0.0]]))
    r = CapacitatedMaxCover(te, tc, np.array([10.0, 10.0]), [100.0], 1, threshold_min=30).solve()
    assert r.objective == pytest.approx(10.0)  # 30:00 is within, 30:00.5 is not
    assert r.chosen.size == 0  # a candidate reaching nobody is not opened


def test_default_new_capacity_is_the_median_of_existing():
    te = sp.csr_matrix(np.array([[60.0, 60.0, 60.0], [0, 0, 0]]))
    tc = sp.csr_matrix(np.array([[0.0], [60.0]]))
    r = CapacitatedMaxCover(te, tc, np.array([10.0, 500.0]), [10.0, 40.0, 1000.0], 1).solve()
    assert r.capacity[-1] == 40.0 and r.objective == pytest.approx(10.0 + 40.0)


def test_inputs_refused_in_french():
    te, tc, pop, cap_e, cap_c, *_ = fixture(0)
    with pytest.raises(InputError, match="capacité inconnue"):
        CapacitatedMaxCover(te, tc, pop, [np.nan, 10.0], 1).solve()
    with pytest.raises(InputError, match="nouveaux lieux"):
        CapacitatedMaxCover(te, tc, pop, cap_e, 0).solve()
    with pytest.raises(InputError, match="lignes"):
        CapacitatedMedian(te[:5], tc, pop, cap_e, 1).solve()
    with pytest.raises(InputError, match="capacité des nouveaux lieux manquante"):
        CapacitatedMaxCover(sp.csr_matrix((pop.size, 0)), tc, pop, [], 1).solve()
    with pytest.raises(ValueError):
        CapacitatedMedian(te, tc, pop, cap_e, 1, formulation="nope")


def test_median_notices_unassigned_people():
    te, tc, pop, cap_e, cap_c, *_ = fixture(3)
    r = CapacitatedMedian(te, tc, pop, cap_e * 0.01, 1, capacity_new=1.0, penalty_s=PENALTY_S).solve()
    assert r.unassigned_population > 0
    assert any(n.code == "unassigned" for n in r.notices)


@pytest.mark.parametrize("seed", range(5))
def test_merge_identical_groups_exactly_the_same_sets(seed):
    rng = np.random.default_rng(seed)
    n_units, n_sites = 300, 12
    dense = rng.random((n_units, n_sites)) < 0.15
    dense[rng.integers(0, n_units, 80)] = dense[rng.integers(0, n_units, 80)]  # many repeated rows
    unit, site = np.nonzero(dense)
    group = _merge_identical(unit, site, n_units, n_sites)
    keys = {}
    for u in range(n_units):
        if dense[u].any():
            key = dense[u].tobytes()
            keys.setdefault(key, set()).add(u)
        else:
            assert group[u] == -1
    assert len(set(group[group >= 0].tolist())) == len(keys)
    for members in keys.values():
        assert len({group[u] for u in members}) == 1
