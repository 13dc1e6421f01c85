"""The face of the location models (access30.locate): its names, and maximal covering on a hand-made matrix.

handmade_trap: 3 candidates, 4 units of weights 4, 5, 5, 4. Candidate 0 covers units 1 and 2 (10, the
best single site), candidate 1 units 0 and 1 (9), candidate 2 units 2 and 3 (9). With k = 2, greedy takes
candidate 0 then one of the others (14); the optimum, by hand, is candidates 1 and 2: all 18.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

import access30.locate as locate
from access30.locate import MaxCover, SolveResult, solve_cover, solve_maxcover
from access30.locate.maxcover import greedy_maxcover

HANDMADE_TRAP = sp.csr_matrix(np.array([[0, 1, 1, 0],
                                        [1, 1, 0, 0],
                                        [0, 0, 1, 1]], dtype=bool))
HANDMADE_WEIGHTS = np.array([4.0, 5.0, 5.0, 4.0])


def test_every_public_name_exists():
    assert [name for name in locate.__all__ if not hasattr(locate, name)] == []
    assert {"Cover", "MaxCover", "Median", "CapacitatedMaxCover", "CapacitatedMedian"} <= set(locate.__all__)


def test_maxcover_finds_the_optimum_greedy_misses():
    assert greedy_maxcover(HANDMADE_TRAP, HANDMADE_WEIGHTS, 2)[0] == 0
    brute = max(itertools.combinations(range(3), 2),
                key=lambda pair: HANDMADE_WEIGHTS[HANDMADE_TRAP[list(pair)].toarray().any(axis=0)].sum())
    assert brute == (1, 2)
    result = MaxCover(HANDMADE_TRAP, HANDMADE_WEIGHTS, k=2, reduce=False).solve(time_limit_s=10)
    assert isinstance(result, SolveResult)
    assert sorted(result.chosen.tolist()) == [1, 2]
    assert result.objective == 18.0 and result.optimal and result.gap == 0.0
    one = solve_maxcover(HANDMADE_TRAP, HANDMADE_WEIGHTS, k=1, time_limit_s=10)
    assert one.chosen.tolist() == [0] and one.objective == 10.0


def test_cover_needs_two_sites():
    result = solve_cover(HANDMADE_TRAP, time_limit_s=10)
    assert sorted(result.chosen.tolist()) == [1, 2] and result.objective == 2 and result.optimal
