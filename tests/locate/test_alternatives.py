"""Ties of a location model: interchangeable sites counted exactly, and HiGHS runs that keep to their time."""

import itertools

import highspy
import numpy as np
import scipy.sparse as sp

from access30.locate import _highs
from access30.locate.alternatives import interchangeable, tied_sets
from access30.locate.cover import Cover
from access30.locate.maxcover import MaxCover


def _handmade_twins():
    """handmade_twins: 7 candidates × 4 units; candidates 0, 1, 2 reach units {0, 1}, 3 and 4 reach {2},
    5 reaches {3}, 6 reaches {1, 3}. Weights 3, 2, 4, 1."""
    rows = [[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 1]]
    return sp.csr_matrix(np.array(rows, dtype=bool)), np.array([3.0, 2.0, 4.0, 1.0])


def _brute_force(model, n: int, k: int):
    value = {s: model.value(np.array(s)) for s in itertools.combinations(range(n), k)}
    best = max(value.values())
    return best, sorted(s for s, v in value.items() if v == best)


def test_interchangeable_sites_are_the_identical_columns():
    cover, weights = _handmade_twins()
    model = MaxCover(cover, weights, 2, reduce=False)
    classes = interchangeable(model.arrays.matrix, model.arrays, 7)
    assert classes[0] == classes[1] == classes[2] and classes[3] == classes[4]
    assert len({classes[0], classes[3], classes[5], classes[6]}) == 4


def test_ties_without_time_are_still_counted_exactly_by_swaps():
    """No time to search: the swaps of interchangeable sites give the exact count of ties here (3 × 2 pairs
    reach every weight but unit 3's), each listed set is a real tie, and the answer says it is not complete."""
    cover, weights = _handmade_twins()
    model = MaxCover(cover, weights, 2, reduce=False)
    best, optimal = _brute_force(model, 7, 2)
    assert len(optimal) == 6
    found = tied_sets(model.arrays, 7, optimal[0], best, 0.0)
    assert not found.complete and found.count == 5 == found.known
    assert sorted(tuple(s.tolist()) for s in found.sets) == optimal[1:]

    searched = tied_sets(model.arrays, 7, optimal[0], best, 30.0)
    assert searched.complete and searched.count == 5
    assert sorted(tuple(s.tolist()) for s in searched.sets) == optimal[1:]


def test_cover_ties_by_swaps_have_as_few_sites():
    cover, _ = _handmade_twins()
    found = tied_sets(Cover(cover, reduce=False).arrays, 7, [0, 3, 5], 3.0, 0.0)
    # {0|1|2} × {3|4} × {5}, and {0|1|2} × {3|4} × {6}: 12 covers of 3 sites, the first excepted.
    assert found.count == 5 and all(len(s) == 3 for s in found.sets)
    exhaustive = tied_sets(Cover(cover, reduce=False).arrays, 7, [0, 3, 5], 3.0, 30.0)
    assert exhaustive.complete and exhaustive.count == 11


def test_a_run_gets_the_time_left_not_added_to_the_runs_before():
    """HiGHS 1.16 counts its limit from each run's start: the limit set is the time left, never the
    time left plus the run time so far (which let the ties' search of the demo run 57 s)."""
    h = _highs.new_highs()
    handmade = sp.csc_matrix(np.array([[1.0, 1.0]]))
    h.passModel(2, 1, 2, 1, 1, 0.0, np.array([1.0, 1.0]), np.zeros(2), np.ones(2), np.array([1.0]),
                np.array([np.inf]), handmade.indptr.astype(np.int32), handmade.indices.astype(np.int32),
                handmade.data, np.ones(2, dtype=np.int32))
    _highs.limit(h, 5.0)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    _highs.limit(h, 0.5)
    value = h.getOptionValue("time_limit")
    assert (value[-1] if isinstance(value, tuple) else value) == 0.5
    assert h._access30_deadline[0] > 0  # the wall-clock deadline its interrupt callbacks check
