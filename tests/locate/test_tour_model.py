"""The « hors les murs » round (access30.locate.tour): exact optimum, feasible days, edge cases.

Hand-made fixtures only (the model takes plain matrices): seeded random instances checked against a
brute force that enumerates every set of stops and every way of putting them in the days, written
independently of the model's matching argument; and small instances built so that one constraint
binds (the midday drive, the base, an odd number of half-days, a fortnightly round, the time limit).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
import pytest
import scipy.sparse as sp

from access30.base.errors import InputError
from access30.locate.tour import AM, PM, TourModel, dominated_options, pair_safe_dominated

MIN = 60.0


def handmade_random(seed: int, n_cand: int = 12, n_units: int = 60):
    """Candidates and units in a 100 km square, base in the middle, 1 km/min with asymmetric noise.

    Coverage within 14 km; max drive 55 min (the corners are out); break 45 min (far pairs are not).
    """
    rng = np.random.default_rng(seed)
    cand = rng.uniform(0, 100, (n_cand, 2))
    units = rng.uniform(0, 100, (n_units, 2))
    base = np.array([50.0, 50.0])
    cover = sp.csr_matrix(np.linalg.norm(cand[:, None] - units[None], axis=2) <= 14.0)
    weights = rng.integers(1, 60, n_units).astype(float)
    weights[rng.random(n_units) < 0.3] = 0.0  # already covered by existing sites
    to_cand = np.linalg.norm(cand - base, axis=1) * MIN
    from_base = to_cand * rng.uniform(1.0, 1.25, n_cand)
    to_base = to_cand * rng.uniform(1.0, 1.25, n_cand)
    between = np.linalg.norm(cand[:, None] - cand[None], axis=2) * MIN * rng.uniform(1.0, 1.4, (n_cand, n_cand))
    np.fill_diagonal(between, 0.0)
    return dict(cover=cover, weights=weights, drive_from_base_s=from_base, drive_to_base_s=to_base,
                drive_between_s=between, max_drive_s=55 * MIN, break_s=45 * MIN)


def brute_force(inst, half_days: int, weeks: int):
    """Best covered weight over every set of stops that can be put in the days (and the best sets)."""
    cover = inst["cover"].toarray()
    w, between = inst["weights"], inst["drive_between_s"]
    ok = [c for c in range(cover.shape[0])
          if inst["drive_from_base_s"][c] <= inst["max_drive_s"] and inst["drive_to_base_s"][c] <= inst["max_drive_s"]]
    two_days, one_days = weeks * (half_days // 2), weeks * (half_days % 2)

    def same_day(j, k):  # j in the morning, k in the afternoon, or the other way round
        return between[j, k] <= inst["break_s"] or between[k, j] <= inst["break_s"]

    @lru_cache(maxsize=None)
    def fits(stops: tuple, two: int, one: int) -> bool:
        if not stops:
            return True
        first, rest = stops[0], stops[1:]
        if one and fits(rest, two, one - 1):
            return True
        if two and fits(rest, two - 1, one):
            return True
        return bool(two) and any(same_day(first, k) and fits(tuple(s for s in rest if s != k), two - 1, one)
                                 for k in rest)

    best, best_sets = 0.0, []
    for r in range(1, min(weeks * half_days, len(ok)) + 1):
        for stops in itertools.combinations(ok, r):
            value = float(w[cover[list(stops)].any(axis=0)].sum())
            if value >= best - 1e-9 and fits(stops, two_days, one_days):
                if value > best + 1e-9:
                    best, best_sets = value, []
                best_sets.append(set(stops))
    return best, best_sets


def check_schedule(result, inst, half_days: int, weeks: int):
    """The returned round obeys every rule of the cycle, and its figures add up."""
    stops = list(result.stops)
    assert len(set(stops)) == len(stops) <= weeks * half_days
    days = math.ceil(half_days / 2)
    for s in stops:
        assert inst["drive_from_base_s"][s] <= inst["max_drive_s"] and inst["drive_to_base_s"][s] <= inst["max_drive_s"]
    key = list(zip(result.week, result.day, [0 if h == AM else 1 for h in result.half_day]))
    assert key == sorted(key) and len(set(key)) == len(key)  # schedule order, one stop a half-day
    for week, day in set(zip(result.week, result.day)):
        assert 0 <= week < weeks and 0 <= day < days
        here = [i for i in range(len(stops)) if result.week[i] == week and result.day[i] == day]
        halves = [result.half_day[i] for i in here]
        assert halves in ([AM], [AM, PM])
        if half_days % 2 and day == days - 1:
            assert halves == [AM]  # the last day of an odd week: morning only
        if len(here) == 2:
            am, pm = stops[here[0]], stops[here[1]]
            assert inst["drive_between_s"][am, pm] <= inst["break_s"]
            assert result.midday_s[here[1]] == inst["drive_between_s"][am, pm]
    value = float(inst["weights"][inst["cover"][stops].toarray().any(axis=0)].sum()) if stops else 0.0
    assert result.objective == pytest.approx(value)
    assert result.gain.sum() == pytest.approx(value) and np.all(result.gain >= 0)
    hit = inst["cover"][stops].toarray().any(axis=0) if stops else np.zeros(inst["cover"].shape[1], dtype=bool)
    assert np.array_equal(result.newly_covered, hit & (inst["weights"] > 0))
    assert result.bound >= result.objective - 1e-9


@pytest.mark.parametrize("weeks", [1, 2])
@pytest.mark.parametrize("half_days", [2, 3, 4, 5])
def test_handmade_random_instances_match_brute_force(half_days, weeks):
    """Seeded random instances (10–14 candidates): the proven optimum is the brute force's, both formulations."""
    binding = 0
    for seed in range(10):
        n_cand = 10 + (seed % 5)
        inst = handmade_random(100 * half_days + 10 * weeks + seed, n_cand)
        best, best_sets = brute_force(inst, half_days, weeks)
        for formulation in ("bound-first", "days", "compact"):
            result = TourModel.from_matrices(**inst, half_days=half_days, weeks=weeks).solve(formulation=formulation)
            assert result.optimal and result.gap == 0.0 and not result.heuristic
            assert result.objective == pytest.approx(best), (seed, formulation)
            check_schedule(result, inst, half_days, weeks)
            assert set(result.stops) in best_sets
            if formulation == "bound-first":
                binding += result.max_cover_bound > best + 1e-9
                assert "days_s" in result.stages or result.max_cover_bound <= best + 1e-9
        unreduced = TourModel.from_matrices(**inst, half_days=half_days, weeks=weeks, reduce=False).solve()
        assert unreduced.objective == pytest.approx(best)
    if half_days >= 4 and weeks == 1:
        assert binding >= 1  # the midday drive cost population on some of these instances


def test_handmade_midday_drive_binds():
    """The two best stops are 110 min apart: one day cannot hold both, so the round is below max covering."""
    cover = sp.csr_matrix(np.array([[1, 1, 0, 0, 0],     # 0: north, covers 100
                                    [0, 0, 1, 1, 0],     # 1: south, covers 90
                                    [0, 0, 0, 0, 1]]))   # 2: north too, covers 50
    weights = np.array([60.0, 40.0, 50.0, 40.0, 50.0])
    between = np.array([[0, 110, 20], [110, 0, 100], [25, 95, 0]]) * MIN
    inst = dict(cover=cover, weights=weights, drive_from_base_s=np.full(3, 50 * MIN),
                drive_to_base_s=np.full(3, 50 * MIN), drive_between_s=between, max_drive_s=60 * MIN,
                break_s=90 * MIN)
    result = TourModel.from_matrices(**inst, half_days=2).solve()
    assert result.optimal and result.objective == 150.0 and result.max_cover_bound == 190.0
    assert list(result.stops) == [0, 2] and list(result.half_day) == [AM, PM]
    assert result.midday_s[1] == 20 * MIN and np.isnan(result.midday_s[0])
    assert "trajet de midi" in result.status
    check_schedule(result, inst, 2, 1)
    # Two days: the pair is no longer needed, the best two stops go on separate days.
    result = TourModel.from_matrices(**inst, half_days=3).solve()
    assert result.objective == 240.0 and list(result.day) == [0, 0, 1]
    # A longer break lets the bound's stops share the day.
    result = TourModel.from_matrices(**{**inst, "break_s": 110 * MIN}, half_days=2).solve()
    assert result.objective == 190.0 and set(result.stops) == {0, 1}


def test_handmade_odd_split_needs_the_pairs_model():
    """Three useful stops north and five south, 4 days: max covering takes 3 + 5, which cannot be paired
    (north and south are 2 h apart); the exact round takes 2 + 6 or 4 + 4 and is proven."""
    rng = np.random.default_rng(7)
    north, south = 5, 9
    n = north + south
    n_units = 3 * n
    cover = np.zeros((n, n_units), dtype=bool)
    for c in range(n):
        cover[c, 3 * c:3 * c + 3] = True
    weights = np.concatenate([rng.integers(80, 100, 3 * north), rng.integers(20, 120, 3 * south)]).astype(float)
    side = np.array([0] * north + [1] * south)
    between = np.where(side[:, None] == side[None], 30 * MIN, 120 * MIN)
    np.fill_diagonal(between, 0.0)
    inst = dict(cover=sp.csr_matrix(cover), weights=weights, drive_from_base_s=np.full(n, 55 * MIN),
                drive_to_base_s=np.full(n, 55 * MIN), drive_between_s=between, max_drive_s=60 * MIN,
                break_s=90 * MIN)
    best, _ = brute_force(inst, 8, 1)
    model = TourModel.from_matrices(**inst, half_days=8)
    result = model.solve()
    assert result.optimal and result.objective == pytest.approx(best)
    assert result.max_cover_bound > best  # max covering alone would pick an odd split
    assert result.stages["max_cover_fits"] is False and "days_s" in result.stages
    counts = np.bincount(side[result.stops], minlength=2)
    assert counts.sum() == 8 and counts[0] % 2 == 0
    check_schedule(result, inst, 8, 1)


def test_handmade_base_filter_both_ways():
    """A stop too far one way is out, whatever it covers; the others are chosen."""
    cover = sp.csr_matrix(np.eye(4, dtype=bool))
    weights = np.array([1000.0, 10.0, 20.0, 30.0])
    between = np.full((4, 4), 10 * MIN)
    np.fill_diagonal(between, 0.0)
    inst = dict(cover=cover, weights=weights, drive_from_base_s=np.array([30, 30, 30, 30]) * MIN,
                drive_to_base_s=np.array([61, 30, 30, 30]) * MIN, drive_between_s=between,
                max_drive_s=60 * MIN, break_s=90 * MIN)
    result = TourModel.from_matrices(**inst, half_days=2).solve()
    assert 0 not in result.stops and result.objective == 50.0 and result.reachable == 3
    assert set(result.stops) == {2, 3}
    inst["drive_to_base_s"] = np.array([60, 30, 30, 30]) * MIN  # exactly the limit: allowed
    assert TourModel.from_matrices(**inst, half_days=2).solve().objective == 1030.0


def test_handmade_no_candidate_within_max_drive_is_an_input_error():
    inst = dict(cover=sp.csr_matrix(np.eye(2, dtype=bool)), weights=np.ones(2),
                drive_from_base_s=np.array([70.5, 80]) * MIN, drive_to_base_s=np.array([65, 95]) * MIN,
                drive_between_s=np.zeros((2, 2)))
    with pytest.raises(InputError) as caught:
        TourModel.from_matrices(**inst, half_days=4)
    text = str(caught.value)
    assert "--max-drive-min" in text and "70,5 min" in text and "au moins 71" in text
    inst["drive_from_base_s"] = np.array([np.inf, np.nan])
    with pytest.raises(InputError, match="--base"):
        TourModel.from_matrices(**inst, half_days=4)


@pytest.mark.parametrize("kwargs, option", [({"half_days": 0}, "--half-days"), ({"half_days": 2.5}, "--half-days"),
                                            ({"half_days": "huit"}, "--half-days"), ({"half_days": 15}, "--half-days"),
                                            ({"half_days": 4, "weeks": 3}, "--weeks"),
                                            ({"half_days": 4, "max_drive_s": 0.0}, "--max-drive-min")])
def test_handmade_bad_options_are_input_errors(kwargs, option):
    inst = handmade_random(0, 10)
    inst.pop("max_drive_s") if "max_drive_s" in kwargs else None
    with pytest.raises(InputError, match=option):
        TourModel.from_matrices(**inst, **kwargs)


def test_handmade_nobody_left_to_cover():
    inst = handmade_random(1, 10)
    inst["weights"] = np.zeros_like(inst["weights"])
    result = TourModel.from_matrices(**inst, half_days=4).solve()
    assert result.objective == 0.0 and result.optimal and result.stops.size == 0
    assert "personne à couvrir" in result.status and result.notes
    # People left uncovered, but out of reach of every stop within the max drive.
    inst = handmade_random(1, 10)
    far = inst["drive_from_base_s"] > inst["max_drive_s"]
    reached = inst["cover"][~far].toarray().any(axis=0)
    inst["weights"] = np.where(reached, 0.0, 1.0)
    result = TourModel.from_matrices(**inst, half_days=4).solve()
    assert result.objective == 0.0 and result.stops.size == 0 and "aucun arrêt possible" in result.status


def test_handmade_fewer_useful_candidates_than_slots():
    inst = handmade_random(3, 10)
    n = inst["cover"].shape[0]
    inst["drive_from_base_s"] = np.full(n, 10 * MIN)
    inst["drive_to_base_s"] = np.full(n, 10 * MIN)
    result = TourModel.from_matrices(**inst, half_days=10, weeks=2).solve()
    useful = int((inst["cover"].toarray()[:, inst["weights"] > 0]).any(axis=1).sum())
    assert result.stops.size <= useful < 20 and result.free_slots == 20 - result.stops.size
    assert result.optimal and "sans arrêt" in result.notes[0]
    assert result.objective == pytest.approx(inst["weights"][inst["cover"].toarray().any(axis=0)].sum())
    check_schedule(result, inst, 10, 2)


def test_handmade_one_half_day_and_odd_weeks():
    inst = handmade_random(5, 12)
    result = TourModel.from_matrices(**inst, half_days=1).solve()
    assert result.stops.size == 1 and list(result.half_day) == [AM] and result.days_per_week == 1
    assert result.objective == pytest.approx(brute_force(inst, 1, 1)[0])
    result = TourModel.from_matrices(**inst, half_days=5).solve()
    assert result.days_per_week == 3 and result.slots == 5
    check_schedule(result, inst, 5, 1)


def test_handmade_fortnight_doubles_the_stops():
    """Every stop of a fortnightly round is seen every other week: 2N stops over 2·⌈N/2⌉ days."""
    inst = handmade_random(11, 14)
    n = inst["cover"].shape[0]
    inst["drive_from_base_s"] = np.full(n, 10 * MIN)
    inst["drive_to_base_s"] = np.full(n, 10 * MIN)
    inst["weights"] = np.ones(inst["cover"].shape[1])
    one = TourModel.from_matrices(**inst, half_days=3, weeks=1).solve()
    two = TourModel.from_matrices(**inst, half_days=3, weeks=2).solve()
    assert one.slots == 3 and two.slots == 6 and two.days_per_week == 2 and two.weeks == 2
    assert two.stops.size == 6 and set(two.week) == {0, 1} and two.objective > one.objective
    assert [(w, d, h) for w, d, h in zip(two.week, two.day, two.half_day)] == [
        (0, 0, AM), (0, 0, PM), (0, 1, AM), (1, 0, AM), (1, 0, PM), (1, 1, AM)]
    check_schedule(two, inst, 3, 2)


def test_handmade_time_limit_states_what_it_returns():
    """A tiny limit: either proven, or the gap and whether the round is the heuristic's are said."""
    rng = np.random.default_rng(3)
    n_cand, n_units = 80, 1500
    xy_c, xy_u = rng.uniform(0, 100, (n_cand, 2)), rng.uniform(0, 100, (n_units, 2))
    cover = sp.csr_matrix(np.linalg.norm(xy_c[:, None] - xy_u[None], axis=2) <= 12.0)
    between = np.linalg.norm(xy_c[:, None] - xy_c[None], axis=2) * 1.2 * MIN
    inst = dict(cover=cover, weights=rng.integers(0, 40, n_units).astype(float),
                drive_from_base_s=np.full(n_cand, 30 * MIN), drive_to_base_s=np.full(n_cand, 30 * MIN),
                drive_between_s=between, max_drive_s=60 * MIN, break_s=40 * MIN)
    for limit in (1e-4, 0.05, 60.0):
        result = TourModel.from_matrices(**inst, half_days=10, weeks=2).solve(time_limit_s=limit)
        check_schedule(result, inst, 10, 2)
        assert result.objective >= result.heuristic_objective - 1e-9
        if result.optimal:
            assert result.gap == 0.0 and not result.heuristic
        else:
            assert limit < 1 and result.gap > 0 and "limite de temps" in result.status
            assert ("heuristique" in result.status) == result.heuristic
        if limit == 1e-4:
            assert result.heuristic and not result.optimal  # no time for HiGHS: said so
    assert result.optimal  # the full limit proves it


def test_handmade_sparse_between_missing_is_unreachable():
    inst = handmade_random(21, 12)
    dense = inst["drive_between_s"]
    kept = np.where(dense <= inst["break_s"], dense, 0.0)
    kept[np.diag_indices_from(kept)] = 0.0
    sparse = sp.csr_matrix(kept)  # only the pairs within the break are stored
    sparse_inst = {**inst, "drive_between_s": sparse}
    a = TourModel.from_matrices(**inst, half_days=4).solve()
    b = TourModel.from_matrices(**sparse_inst, half_days=4).solve()
    assert a.objective == b.objective and a.optimal and b.optimal


def test_pair_safe_dominance_keeps_the_partner():
    """Stop 1 covers more than stop 0 but cannot share a day with stop 2: stop 0 must stay."""
    sets = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=float))
    adjacent = np.array([[0, 0, 1], [0, 0, 0], [1, 0, 0]], dtype=bool)
    assert not pair_safe_dominated(sets, adjacent).any()
    adjacent = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], dtype=bool)
    assert list(pair_safe_dominated(sets, adjacent)) == [True, False, False]
    # Equal stops: one of the two goes.
    sets = sp.csr_matrix(np.array([[1, 1], [1, 1]], dtype=float))
    assert pair_safe_dominated(sets, np.array([[0, 1], [1, 0]], dtype=bool)).sum() == 1


def test_day_option_dominance_respects_single_days():
    """A single may give way to a pair covering more only when every day can take a pair (N even)."""
    sets = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0]], dtype=float))  # pair (1, 2), then singles
    is_pair = np.array([True, False, False])
    assert not dominated_options(sets, is_pair, pair_for_single=False).any()
    assert list(dominated_options(sets, is_pair, pair_for_single=True)) == [False, True, True]
    # A pair no better than one of its stops gives way to that single, whatever the days.
    sets = sp.csr_matrix(np.array([[1, 1], [1, 1], [0, 1]], dtype=float))
    assert list(dominated_options(sets, is_pair, pair_for_single=False)) == [True, False, True]


def test_handmade_odd_week_keeps_a_morning_only_day_for_a_far_stop():
    """N = 3: one pair day and one morning-only day; the far stop takes the morning-only day."""
    cover = sp.csr_matrix(np.eye(4, dtype=bool))
    weights = np.array([100.0, 90.0, 80.0, 70.0])
    between = np.full((4, 4), 200 * MIN)
    between[1, 2] = between[2, 1] = 10 * MIN  # only stops 1 and 2 can share a day
    np.fill_diagonal(between, 0.0)
    inst = dict(cover=cover, weights=weights, drive_from_base_s=np.full(4, 30 * MIN),
                drive_to_base_s=np.full(4, 30 * MIN), drive_between_s=between, max_drive_s=60 * MIN,
                break_s=90 * MIN)
    result = TourModel.from_matrices(**inst, half_days=3).solve()
    assert result.objective == 270.0 and set(result.stops) == {0, 1, 2}
    assert list(zip(result.day, result.half_day)) == [(0, AM), (0, PM), (1, AM)] and result.stops[2] == 0
    check_schedule(result, inst, 3, 1)
