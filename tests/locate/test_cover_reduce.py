"""Set covering reduced before HiGHS: forced candidates, dominated units and candidates; the same optimum."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from access30.locate import Cover, solve_cover
from access30.locate._reduce import dominated_units, reduce_cover

# handmade_chain: units 0 and 3 have one candidate each (0 and 2): both forced, and they cover all.
HANDMADE_CHAIN = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [0, 1, 1, 0]], dtype=bool))
# handmade_nested: unit 0 is covered by candidates {0, 1}, unit 1 by {0, 1, 2}: unit 1 is dominated.
HANDMADE_NESTED = sp.csc_matrix(np.array([[1, 1], [1, 1], [0, 1]], dtype=bool))


def test_forced_candidates_solve_the_chain():
    core, rows, forced = reduce_cover(HANDMADE_CHAIN)
    assert forced.tolist() == [0, 2] and core.shape == (0, 0) and rows.size == 0
    result = solve_cover(HANDMADE_CHAIN, time_limit_s=10)
    assert result.chosen.tolist() == [0, 2] and result.objective == 2 and result.optimal and result.gap == 0.0


def test_unit_whose_candidates_contain_anothers_is_dropped():
    assert dominated_units(HANDMADE_NESTED).tolist() == [False, True]


def brute_force(matrix: np.ndarray) -> int:
    need = matrix.any(axis=0)
    for size in range(matrix.shape[0] + 1):
        for sites in itertools.combinations(range(matrix.shape[0]), size):
            if (matrix[list(sites)].any(axis=0) >= need).all():
                return size
    raise AssertionError


def test_same_optimum_as_without_reductions_and_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(40):
        matrix = rng.random((rng.integers(3, 11), rng.integers(3, 40))) < rng.uniform(0.05, 0.4)
        reduced = solve_cover(sp.csr_matrix(matrix), time_limit_s=10)
        plain = solve_cover(sp.csr_matrix(matrix), time_limit_s=10, reduce=False)
        assert reduced.objective == plain.objective == brute_force(matrix)
        covered = matrix[reduced.chosen].any(axis=0) if reduced.chosen.size else np.zeros(matrix.shape[1], bool)
        assert (covered >= matrix.any(axis=0)).all() and reduced.optimal


def test_progress_counts_the_forced_sites():
    seen = []
    model = Cover(HANDMADE_CHAIN)
    model.solve(10, progress=lambda stage, objective, bound: seen.append((objective, bound)))
    assert seen and seen[-1] == (2.0, 2.0) and model.forced.tolist() == [0, 2]
