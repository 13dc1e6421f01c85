"""Site suggestions: candidates, candidate × unit times, and the exact location models.

Real data: the offline Saint-Brieuc – Loudéac demo (partial OSM network, modelled 200 m grid,
34 existing sites). Optima are checked against brute force over every k-subset, and the promised
figures against an independent coverage run with the suggested sites added to the study.
"""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from access30.base.errors import InputError
from access30.cli import main
from access30.coverage.engine import route, run_coverage
from access30.coverage.rules import EPS_S
from access30.inputs.assemble import load_study
from access30.locate.cover import solve_cover
from access30.locate.maxcover import solve_maxcover
from access30.locate.median import median_value, solve_median
from access30.routing.roads import route_to_sites, unit_pairs, unit_times
from access30.suggest.candidates import (
    SAME_PLACE_M,
    build_candidates,
    cell_candidates,
    dedupe_candidates,
    join_candidates,
)
from access30.suggest.matrix import candidate_unit_times
from access30.suggest.suggestion import suggest_sites
from tests.paths import REPO

SHARED = REPO.parent / "shared" / "data"
#: The demo at 20 min by car: 2,177 people beyond, so that the models have someone to cover (at 30 min by car
#: everyone is covered and a covering model has nothing to choose: see test_nobody_beyond_is_said_not_suggested).
THRESHOLD = 20.0


@pytest.fixture(scope="module")
def demo():
    study = load_study("st-brieuc-loudeac")
    routing = route(study)
    return study, routing


@pytest.fixture(scope="module")
def public_candidates(demo):
    study, _ = demo
    candidates, _ = build_candidates(study, ("mairies", "france_services"))
    return candidates


@pytest.fixture(scope="module")
def mixed_candidates(demo, public_candidates):
    """Mairies and France Services plus populated cells thinned to a coarse grid: a few dozen in all."""
    study, _ = demo
    cells = cell_candidates(study, max_cells=15, method="grid")
    both = gpd.GeoDataFrame(pd.concat([public_candidates, cells], ignore_index=True), crs="EPSG:4326")
    candidates, _ = dedupe_candidates(study, both)
    return candidates


def with_new_sites(study, candidates, ids):
    new = candidates[candidates["candidate_id"].isin(ids)]
    extra = gpd.GeoDataFrame({"site_id": new["candidate_id"].to_numpy(), "name": new["name"].to_numpy(),
                              "type": "autre", "commune": new["commune"].to_numpy(), "address": "", "hours": "",
                              "hours_format": "", "source": "suggestion"},
                             geometry=new.geometry.to_numpy(), crs="EPSG:4326")
    sites = gpd.GeoDataFrame(pd.concat([study.sites, extra], ignore_index=True), geometry="geometry",
                             crs="EPSG:4326")
    return study.with_sites(sites)


def dense_times(study, routing, candidates, limit_s):
    times = candidate_unit_times(study, routing, join_candidates(study, candidates), limit_s).toarray()
    times[times == 0] = np.inf
    return times


# ---------------------------------------------------------------------------------------------
# Candidates
# ---------------------------------------------------------------------------------------------

def test_candidates_include_small_communes_and_no_existing_site(demo, public_candidates):
    study, _ = demo
    mairies = public_candidates[public_candidates["type"] == "mairie"]
    table = pd.read_csv(SHARED / "cotes_darmor" / "mairies_22.csv", dtype={"code": str})
    population = dict(zip(table["code"], table["population_municipale"]))
    assert (mairies["commune"].map(population) < 1500).any(), "communes under 1,500 must be candidates too"
    assert not set(public_candidates["candidate_id"]) & set(study.sites["site_id"])
    joins = join_candidates(study, public_candidates)
    assert joins.on_road.all()
    # Deduplicated by place, never by shared road node: no two candidates (or a candidate and a site)
    # closer than SAME_PLACE_M, while candidates may share a segment.
    xy = np.column_stack([joins.x, joins.y])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert (d[np.triu_indices(len(xy), 1)] >= SAME_PLACE_M).all()
    sites = join_candidates(study, study.sites)
    gap = np.hypot(joins.x[:, None] - sites.x[None, :], joins.y[:, None] - sites.y[None, :])
    assert (gap >= SAME_PLACE_M).all()


def test_cell_candidates_thinned_and_populated(demo):
    study, routing = demo
    units = study.demand.units
    for method in ("grid", "kmeans"):
        cells = cell_candidates(study, max_cells=50, method=method)
        assert 10 <= len(cells) <= 50
        ids = cells["candidate_id"].str.removeprefix("cell-")
        assert (units.set_index("unit_id").loc[ids, "population"] > 0).all()
    populated_on_road = (units["population"].to_numpy() > 0) & routing.units.on_road
    assert len(cell_candidates(study, max_cells=None)) == int(populated_on_road.sum())
    with pytest.raises(InputError):
        cell_candidates(study, max_cells=0)


def test_user_candidate_file(demo, tmp_path):
    study, _ = demo
    path = tmp_path / "candidats.csv"
    path.write_text("nom,lon,lat\nSalle des fêtes de la Harmoye,-2.9617,48.3357\n"
                    "Local associatif de Moncontour,-2.6315,48.3616\n",
                    encoding="utf-8")
    candidates, _ = build_candidates(study, (), path=path)
    assert list(candidates["name"]) == ["Salle des fêtes de la Harmoye", "Local associatif de Moncontour"]
    assert candidates.crs.to_epsg() == 4326
    bad = tmp_path / "bad.csv"
    bad.write_text("nom,x\nA,1\n", encoding="utf-8")
    with pytest.raises(InputError):
        build_candidates(study, (), path=bad)


# ---------------------------------------------------------------------------------------------
# Candidate × unit times
# ---------------------------------------------------------------------------------------------

def test_candidate_times_equal_routing_with_that_site_alone(demo, mixed_candidates):
    """Each row must equal the core routing's unit times with the candidate as the only site."""
    study, routing = demo
    joins = join_candidates(study, mixed_candidates)
    limit = 45 * 60.0
    times = candidate_unit_times(study, routing, joins, limit, batch_bytes=1)  # one search per batch
    for c in [0, 7, len(mixed_candidates) - 1]:
        one = joins.take([c])
        alone = unit_times(route_to_sites(study.network, one, second=False), routing.units,
                           unit_pairs(routing.units, one, study.access)).time1
        row = times.getrow(c).toarray().ravel()
        row[row == 0] = np.inf
        expected = np.where(alone <= limit + EPS_S, alone, np.inf)
        assert np.array_equal(np.isfinite(row), np.isfinite(expected))
        finite = np.isfinite(row)
        assert np.allclose(row[finite], expected[finite], rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# Models against brute force
# ---------------------------------------------------------------------------------------------

def brute_maxcover(times, t0, on_road, pop, k):
    base = on_road & (t0 <= THRESHOLD * 60 + EPS_S)
    covers = times <= THRESHOLD * 60 + EPS_S  # a new site may reach a unit without road by its direct leg
    best = -1.0
    for subset in itertools.combinations(range(times.shape[0]), k):
        covered = base | covers[list(subset)].any(axis=0)
        best = max(best, float(pop[covered].sum()))
    return best


@pytest.mark.parametrize("k", [1, 2, 3])
def test_maxcover_matches_brute_force_and_coverage_run(demo, mixed_candidates, k):
    study, routing = demo
    pop = study.demand.units["population"].to_numpy(dtype=float)
    times = dense_times(study, routing, mixed_candidates, THRESHOLD * 60)
    optimum = brute_maxcover(times, routing.times.time1, routing.times.on_road, pop, k)
    suggestion = suggest_sites(study, routing, "maxcover", k, THRESHOLD, candidates=mixed_candidates)
    assert suggestion.optimal and suggestion.gap == 0.0
    assert suggestion.objective == pytest.approx(optimum, rel=1e-12)
    assert suggestion.population_covered_after == pytest.approx(optimum, rel=1e-12)
    # Independent check: add the suggested sites and rerun the whole coverage job.
    rerun = run_coverage(with_new_sites(study, mixed_candidates, suggestion.suggested["candidate_id"]), THRESHOLD)
    assert rerun.summary["population_covered"] == pytest.approx(suggestion.population_covered_after, rel=1e-12)
    gain = suggestion.suggested["population_newly_covered"].sum()
    assert gain == pytest.approx(suggestion.population_covered_after - suggestion.population_covered_before)
    assert list(suggestion.curve["k"]) == list(range(1, k + 1))
    assert suggestion.curve["population_covered"].is_monotonic_increasing


@pytest.mark.parametrize("k", [1, 2])
def test_median_matches_brute_force_and_coverage_run(demo, mixed_candidates, k):
    study, routing = demo
    pop = study.demand.units["population"].to_numpy(dtype=float)
    t0 = routing.times.time1
    finite = np.isfinite(t0) & (pop > 0)
    limit = float(t0[finite].max())
    times = dense_times(study, routing, mixed_candidates, limit)
    # Counted: units with a time today, and those a candidate would reach (at the longest time until then).
    ok = (pop > 0) & (np.isfinite(t0) | np.isfinite(times).any(axis=0))
    times, cap = times[:, ok], np.where(np.isfinite(t0), t0, limit)[ok]
    best = min(float(np.dot(pop[ok], np.minimum(cap, times[list(s)].min(axis=0))))
               for s in itertools.combinations(range(times.shape[0]), k))
    optimum_min = best / pop[ok].sum() / 60.0
    suggestion = suggest_sites(study, routing, "median", k, THRESHOLD, candidates=mixed_candidates,
                               time_limit_s=300)
    assert suggestion.optimal, suggestion.status
    assert suggestion.objective == pytest.approx(optimum_min, rel=1e-12)
    assert suggestion.bound == pytest.approx(optimum_min, rel=1e-6)
    rerun = run_coverage(with_new_sites(study, mixed_candidates, suggestion.suggested["candidate_id"]), THRESHOLD)
    assert rerun.summary["mean_time_min"] == pytest.approx(suggestion.mean_time_after_min, rel=1e-9)
    # The objective also counts, at the longest time, units that only a non-chosen candidate reaches
    # (without road access today): the mean after, over reached units, can only be lower.
    assert suggestion.mean_time_after_min <= optimum_min + 1e-9


def test_cover_reaches_everyone_reachable_with_fewest_sites(demo, mixed_candidates):
    study, routing = demo
    pop = study.demand.units["population"].to_numpy(dtype=float)
    t0, on_road = routing.times.time1, routing.times.on_road
    thr = THRESHOLD * 60 + EPS_S
    times = dense_times(study, routing, mixed_candidates, THRESHOLD * 60)
    reach = (times <= thr).any(axis=0)
    need = (on_road | reach) & (pop > 0) & (t0 > thr)
    reachable = need & reach
    suggestion = suggest_sites(study, routing, "cover", None, THRESHOLD, candidates=mixed_candidates)
    assert suggestion.optimal
    rerun = run_coverage(with_new_sites(study, mixed_candidates, suggestion.suggested["candidate_id"]), THRESHOLD)
    covered = (rerun.units["status"] == "covered").to_numpy()
    assert covered[reachable].all()
    assert suggestion.unreachable_population == pytest.approx(pop[need & ~reachable].sum())
    assert rerun.summary["population_covered"] == pytest.approx(suggestion.population_covered_after, rel=1e-12)
    # No smaller set of candidates covers every reachable unit.
    n = int(suggestion.objective)
    assert n == len(suggestion.suggested) >= 1
    cols = times[:, reachable] <= thr
    for subset in itertools.combinations(range(cols.shape[0]), n - 1):
        assert not cols[list(subset)].any(axis=0).all()


# ---------------------------------------------------------------------------------------------
# Solver layer on hand-made fixtures (edge cases)
# ---------------------------------------------------------------------------------------------

def test_fixture_greedy_trap_is_solved_exactly():
    """Hand-made fixture where greedy maxcover (k=2) is not optimal: the result must be the optimum."""
    # Candidate 0 covers the middle of units 0..5 (weights 3 each side); 1 and 2 cover each side.
    cover = sp.csr_matrix(np.array([
        [0, 1, 1, 1, 1, 0],
        [1, 1, 1, 0, 0, 0],
        [0, 0, 0, 1, 1, 1],
    ], dtype=bool))
    weights = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 2.0])
    result = solve_maxcover(cover, weights, 2)
    assert result.optimal and result.objective == 8.0 and list(result.chosen) == [1, 2]
    cover_result = solve_cover(cover)
    assert cover_result.objective == 2.0 and cover_result.optimal


def test_fixture_median_with_caps_and_uncapped_units():
    """Hand-made fixture: capped units keep their cap, uncapped ones must be served."""
    times = sp.csr_matrix(np.array([[10.0, 50.0, 0.0], [40.0, 5.0, 30.0]]))
    weights = np.array([1.0, 2.0, 1.0])
    cap = np.array([20.0, 60.0, np.inf])
    result = solve_median(times, weights, cap, 1)
    # Candidate 1: 20 (cap) + 2·5 + 30 = 60; candidate 0 leaves unit 2 unserved (infeasible).
    assert result.optimal and list(result.chosen) == [1] and result.objective == pytest.approx(60.0)
    result = solve_median(times, weights, cap, 2)
    assert result.objective == pytest.approx(10.0 + 10.0 + 30.0)


def test_fixture_median_random_instances_against_brute_force():
    """Hand-made random fixtures (seeded): both formulations reach the brute-force optimum, including
    instances whose LP relaxation is fractional (the Benders MIP stage then runs)."""
    mip_stage = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        n_cand, n_units, k = 8, 12, int(rng.integers(2, 4))
        t = rng.integers(1, 30, size=(n_cand, n_units)).astype(float)
        t[rng.random((n_cand, n_units)) < 0.3] = 0.0  # not reachable
        cap = np.where(rng.random(n_units) < 0.5, 25.0, np.inf)
        w = rng.integers(0, 5, size=n_units).astype(float)
        times = sp.csr_matrix(t)
        values = [median_value(times, w, cap, s) for s in itertools.combinations(range(n_cand), k)]
        best = min(values)
        if not np.isfinite(best):
            continue
        for formulation in ("benders", "radius"):
            result = solve_median(times, w, cap, k, formulation=formulation)
            assert result.optimal and result.objective == pytest.approx(best, abs=1e-9), (seed, formulation)
            assert median_value(times, w, cap, result.chosen) == pytest.approx(best, abs=1e-9)
        mip_stage += "relaxation" not in solve_median(times, w, cap, k).status
    assert mip_stage >= 3


@pytest.mark.parametrize("k", [2, 4])
def test_median_formulations_agree_on_demo(demo, k):
    """Real instances: the demo with 25 grid-thinned cells + mairies + France Services, both formulations."""
    study, routing = demo
    candidates, _ = build_candidates(study, ("mairies", "france_services", "cells"),
                                     max_cells=25)
    candidates, _ = dedupe_candidates(study, candidates)
    pop = study.demand.units["population"].to_numpy(dtype=float)
    t0 = routing.times.time1
    ok = routing.times.on_road & np.isfinite(t0) & (pop > 0)
    times = candidate_unit_times(study, routing, join_candidates(study, candidates), float(t0[ok].max()))
    w = np.where(ok, pop, 0.0)
    # Proven in seconds on an idle machine; the generous limit keeps a loaded CI machine from failing it.
    benders = solve_median(times, w, np.where(ok, t0, np.inf), k, formulation="benders", time_limit_s=900)
    radius = solve_median(times, w, np.where(ok, t0, np.inf), k, formulation="radius", time_limit_s=900)
    assert benders.optimal and radius.optimal
    assert benders.objective == pytest.approx(radius.objective, rel=1e-12)
    assert median_value(times, w, np.where(ok, t0, np.inf), benders.chosen) == pytest.approx(benders.objective,
                                                                                            rel=1e-12)


# ---------------------------------------------------------------------------------------------
# Public API, summary and CLI
# ---------------------------------------------------------------------------------------------

def test_summary_is_json_ready(demo, public_candidates):
    study, routing = demo
    suggestion = suggest_sites(study, routing, "maxcover", 2, THRESHOLD, candidates=public_candidates)
    summary = json.loads(json.dumps(suggestion.to_summary()))
    for key in ("model", "k", "objective", "bound", "gap", "population_covered_before",
                "population_covered_after", "suggested"):
        assert key in summary
    first = summary["suggested"][0]
    assert {"lon", "lat", "population_newly_covered", "name"} <= set(first)
    assert -4 < first["lon"] < -2 and 48 < first["lat"] < 49


@pytest.mark.parametrize("kwargs", [
    {"model": "pmedian", "k": 2}, {"model": "maxcover", "k": 0}, {"model": "median", "k": None},
    {"model": "maxcover", "k": 2, "weight": "revenus"}, {"model": "maxcover", "k": 2, "threshold_min": -5},
])
def test_bad_requests_raise_input_error(demo, public_candidates, kwargs):
    study, routing = demo
    with pytest.raises(InputError):
        suggest_sites(study, routing, candidates=public_candidates, **kwargs)


def test_cli_suggest_writes_outputs(tmp_path, capsys):
    out, summary = tmp_path / "suggestion.gpkg", tmp_path / "suggestion.json"
    code = main(["suggest", "--model", "maxcover", "--k", "2", "--threshold", "20", "--out", str(out),
                 "--summary", str(summary), "--quiet"])
    assert code == 0
    data = json.loads(summary.read_text(encoding="utf-8"))
    assert data["optimal"] and len(data["suggested"]) >= 1
    layer = gpd.read_file(out, layer="suggestions")
    assert len(layer) == len(data["suggested"])
    code = main(["suggest", "--candidates", "mairies,absent.csv", "--k", "2", "--out", str(out), "--quiet"])
    assert code == 2
    assert "absent.csv" in capsys.readouterr().err


@pytest.mark.parametrize("model, k", [("maxcover", 2), ("cover", None)])
def test_nobody_beyond_is_said_not_suggested(demo, public_candidates, model, k):
    """At 30 min by car the demo covers everyone: a covering model suggests nothing and says why in French
    (not « au-delà de 0 nouveau lieu »); at 20 min it suggests places."""
    study, routing = demo
    nothing = suggest_sites(study, routing, model, k, 30.0, candidates=public_candidates)
    assert nothing.suggested.empty and nothing.population_covered_after == nothing.population_covered_before
    assert [n.code for n in nothing.notices] == ["nothing_to_cover"]
    assert nothing.notices[0].message.startswith("Toute la population est déjà à 30 min ou moins d'un lieu d'accueil")
    assert "0 nouveau lieu" not in nothing.notices[0].message
    some = suggest_sites(study, routing, model, k, 20.0, candidates=public_candidates)
    assert len(some.suggested) >= 1 and "nothing_to_cover" not in [n.code for n in some.notices]


def test_cli_suggest_with_nobody_beyond_says_why_nothing_is_suggested(tmp_path, capsys):
    """``access30 suggest --k 2`` on the demo at 30 min: the reason first, no solver line, no flat curve."""
    code = main(["suggest", "--k", "2", "--out", str(tmp_path / "s.gpkg")])
    out = capsys.readouterr().out
    assert code == 0
    assert ("Aucun lieu suggéré : toute la population est déjà à 30 min ou moins d'un lieu d'accueil : aucun "
            "nouveau lieu n'ajouterait d'habitant couvert") in out
    assert "Population couverte : 154\u202f995 sur 154\u202f995" in out
    assert "Solution optimale prouvée" not in out and "Courbe" not in out and "non recherchés" not in out
    assert out.count("toute la population est déjà") + out.count("Toute la population est déjà") == 1  # said once


def test_suggestion_figures_equal_a_rerun_on_foot_beyond_the_median_cap():
    """On foot, the demo's farthest units are hours from a site: the p-median searches up to 3 hours,
    but the figures after opening the chosen site (mean time, its catchment) are exact, as a rerun."""
    study = load_study("st-brieuc-loudeac", mode="walk")
    routing = route(study)
    assert (routing.times.time1 > 3 * 3600.0).sum() > 50
    candidates = gpd.GeoDataFrame({"candidate_id": ["sud"], "name": ["Sud"], "type": ["autre"], "commune": [""],
                                   "address": [""], "source": ["test"]},
                                  geometry=gpd.points_from_xy([-2.6909595], [48.1600536]), crs="EPSG:4326")
    suggestion = suggest_sites(study, routing, "median", 1, THRESHOLD, candidates=candidates, time_limit_s=60)
    assert suggestion.suggested["candidate_id"].tolist() == ["sud"]
    rerun = run_coverage(with_new_sites(study, candidates, ["sud"]), THRESHOLD)
    assert rerun.summary["mean_time_min"] == pytest.approx(suggestion.mean_time_after_min, rel=1e-12)
    assert rerun.summary["population_covered"] == pytest.approx(suggestion.population_covered_after, rel=1e-12)
    catchment = rerun.sites.set_index("site_id")["catchment_population"]["sud"]
    assert suggestion.suggested["catchment_population"].iloc[0] == pytest.approx(catchment, rel=1e-9)
