"""Capacity, load and floating-catchment indices (access30.coverage.fca).

Hand-computed cases (arithmetic in the comments), the same inputs through the pysal ``access``
package (loaded under another name, see ``pysal_access``), property tests, and the opening-hours
proxy on the real France Services of Martinique.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from access30.base.errors import InputError
from access30.coverage.fca import (
    LUO_QI_BANDS,
    Capacity,
    aggregate_by_area,
    capacity_in_people,
    enhanced_two_step_fca,
    equal_bands,
    floating_catchment,
    index_summary,
    opening_hours_capacity,
    site_load,
    two_step_fca,
)
from access30.coverage.rules import weighted_quantile
from tests.paths import REPO

ROOT = REPO
SHARED = ROOT.parent / "shared" / "data"
MIN = 60.0
# pysal access 1.1.10 calls set_index(inplace=True), deprecated in pandas 3.1: its warning, not ours.
PYSAL_WARNINGS = pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning",
                                           "ignore:The inplace keyword:FutureWarning",
                                           "ignore:The inplace keyword")


# --------------------------------------------------------------------------------------------
# Hand-made fixture: 3 units, 2 sites (times in minutes, stored in seconds)
#   unit 0 (1,000 people): site 0 at 5 min, site 1 at 25 min
#   unit 1 (2,000 people): site 0 at 15 min
#   unit 2 (  500 people): site 1 at 8 min, site 0 at 35 min (beyond 30: ignored)
#   capacities: site 0 = 2 ETP, site 1 = 1 ETP

def hand_times():
    rows, cols = [0, 0, 1, 2, 2], [0, 1, 0, 1, 0]
    minutes = [5, 25, 15, 8, 35]
    return sp.csr_matrix((np.array(minutes, dtype=float) * MIN, (rows, cols)), shape=(3, 2))


POP = np.array([1000.0, 2000.0, 500.0])
CAP = np.array([2.0, 1.0])


def test_2sfca_hand_computed():
    r = two_step_fca(hand_times(), POP, CAP, threshold_min=30, capacity_unit="ETP")
    # Step 1: D0 = 1000 + 2000 = 3000 (unit 2 is 35 min away), D1 = 1000 + 500 = 1500.
    #         R0 = 2 / 3000, R1 = 1 / 1500 ETP per inhabitant.
    assert r.site_demand == pytest.approx([3000.0, 1500.0])
    assert r.site_ratio == pytest.approx([2 / 3000 * 1000, 1 / 1500 * 1000])
    # Step 2 (per 1,000): A0 = (2/3000 + 1/1500) * 1000 = 4/3 ; A1 = 2/3 ; A2 = 2/3.
    assert r.index == pytest.approx([4 / 3, 2 / 3, 2 / 3])
    assert r.unit_label == "ETP pour 1\u202f000 habitants"
    # Conservation: 1000 * 4/3 + 2000 * 2/3 + 500 * 2/3 = 3000 = 3 ETP * 1000.
    assert float(POP @ r.index) == pytest.approx(CAP.sum() * 1000)
    # Per 10,000 inhabitants: ten times the figures.
    assert two_step_fca(hand_times(), POP, CAP, per=10_000).index == pytest.approx(10 * r.index)


def test_e2sfca_hand_computed():
    r = enhanced_two_step_fca(hand_times(), POP, CAP)
    # Weights (Luo & Qi bands 0-10: 1, 10-20: 0.68, 20-30: 0.22): u0-s0 5 min -> 1, u0-s1 25 -> 0.22,
    # u1-s0 15 -> 0.68, u2-s1 8 -> 1, u2-s0 35 -> out.
    # D0 = 1 * 1000 + 0.68 * 2000 = 2360 ; D1 = 0.22 * 1000 + 1 * 500 = 720.
    assert r.site_demand == pytest.approx([2360.0, 720.0])
    r0, r1 = 2 / 2360, 1 / 720
    # A0 = 1 * R0 + 0.22 * R1 = 0.000847458 + 0.000305556 = 1.153013 per 1,000
    # A1 = 0.68 * R0 = 0.576271 ; A2 = 1 * R1 = 1.388889
    assert r.index == pytest.approx([(r0 + 0.22 * r1) * 1000, 0.68 * r0 * 1000, r1 * 1000])
    assert r.index == pytest.approx([1.153013, 0.576271, 1.388889], abs=1e-6)
    assert r.bands == LUO_QI_BANDS and r.method == "E2SFCA"


def test_band_limits_are_inclusive():
    # Exactly 10:00 is in the first band (weight 1), 10:00 + 1 ms in the second (0.68), 30:00 in the last.
    t = sp.csr_matrix(np.array([[600.0], [600.001], [1800.0], [1800.01]]))
    r = enhanced_two_step_fca(t, np.ones(4), [1.0])
    assert r.site_demand[0] == pytest.approx(1 + 0.68 + 0.22)
    assert r.index == pytest.approx(np.array([1, 0.68, 0.22, 0]) / 1.9 * 1000)


def test_custom_bands_and_equal_bands():
    assert equal_bands(30) == LUO_QI_BANDS
    assert equal_bands(45) == ((15.0, 1.0), (30.0, 0.68), (45.0, 0.22))
    # A single band of weight 1 is 2SFCA.
    a = floating_catchment(hand_times(), POP, CAP, ((30, 1.0),))
    assert a.index == pytest.approx(two_step_fca(hand_times(), POP, CAP).index)
    with pytest.raises(InputError):
        floating_catchment(hand_times(), POP, CAP, ((20, 1.0), (10, 0.5)))


def test_unknown_capacity_is_reported_not_assumed():
    r = two_step_fca(hand_times(), POP, [2.0, np.nan], capacity_unit="ETP")
    # Site 1 is left out: units 0 and 2 reach it, their index is a lower bound.
    assert r.partial.tolist() == [True, False, True]
    assert np.isnan(r.site_ratio[1])
    assert r.index == pytest.approx([2 / 3, 2 / 3, 0.0])
    assert any(n.code == "capacity_unknown" for n in r.notices)


def test_site_with_nobody_in_reach_is_reported():
    t = sp.csr_matrix(([300.0], ([0], [0])), shape=(1, 2))
    r = two_step_fca(t, [100.0], [1.0, 4.0])
    assert r.index == pytest.approx([10.0])
    assert any(n.code == "capacity_unreached" for n in r.notices)
    # Conservation holds over the sites with a catchment only: 100 * 10 / 1000 = 1, not 5.
    assert 100 * r.index[0] / 1000 == pytest.approx(1.0)


def test_explicit_zero_time_is_a_pair():
    t = sp.coo_matrix(([0.0], ([0], [0])), shape=(1, 1))
    assert two_step_fca(t, [10.0], [1.0]).index == pytest.approx([100.0])


def test_bad_times_rejected():
    with pytest.raises(InputError):
        two_step_fca(sp.coo_matrix(([1.0, 2.0], ([0, 0], [0, 0])), shape=(1, 1)), [1.0], [1.0])  # duplicate pair
    with pytest.raises(InputError):
        two_step_fca(sp.csr_matrix(([-1.0], ([0], [0])), shape=(1, 1)), [1.0], [1.0])
    with pytest.raises(InputError):
        two_step_fca(np.ones((1, 1)), [1.0], [1.0])


# --------------------------------------------------------------------------------------------
# Load per site
#   u0: nearest 0 at 5 min, second at 20 min, 100 people -> site 0, not sole
#   u1: nearest 0 at exactly 30 min, no second, 50 people -> site 0 (threshold inclusive), sole
#   u2: nearest 1 at 12 min, second at 50 min, 200 people -> site 1, sole
#   u3: no site, 30 people -> nobody
#   u4: nearest 1 at 40 min, 70 people -> beyond the threshold, nobody
#   u5: nearest 2 at 10 min, second at 25 min, 60 people -> site 2 (capacity unknown), not sole
#   capacities: 2, 4, unknown (ETP)

def load_fixture():
    nearest = np.array([0, 0, 1, -1, 1, 2])
    t1 = np.array([5, 30, 12, np.inf, 40, 10]) * MIN
    t2 = np.array([20, np.inf, 50, np.inf, np.inf, 25]) * MIN
    pop = np.array([100, 50, 200, 30, 70, 60], dtype=float)
    return nearest, t1, t2, pop, np.array([2.0, 4.0, np.nan])


def test_site_load_hand_computed():
    nearest, t1, t2, pop, cap = load_fixture()
    r = site_load(nearest, t1, pop, cap, threshold_min=30, time2=t2, capacity_unit="ETP", max_load=60)
    assert r.assigned.tolist() == [150.0, 200.0, 60.0]
    assert r.population_assigned == 410.0 and r.population_total == 510.0
    # load = assigned / capacity: 150 / 2 = 75 ; 200 / 4 = 50 ; unknown -> NaN
    assert r.load[:2].tolist() == [75.0, 50.0] and np.isnan(r.load[2])
    # sole: site 0 -> u1 (50 of 150) ; site 1 -> u2 (200 of 200) ; site 2 -> none of 60
    assert r.sole_share == pytest.approx([1 / 3, 1.0, 0.0])
    assert r.overloaded.tolist() == [True, False, False]  # 75 > 60 ; 50 <= 60 ; unknown never flagged
    assert r.unknown_capacity.tolist() == [2]
    assert any(n.code == "capacity_unknown" for n in r.notices)
    # People per ETP by default: 510 people / 6 known ETP = 85 ; capacity in people 170 and 340.
    assert r.people.people_per_unit == pytest.approx(85.0)
    frame = r.to_frame()
    assert frame["capacity_people"].iloc[:2].tolist() == pytest.approx([170.0, 340.0])
    assert frame["utilisation"].iloc[:2].tolist() == pytest.approx([150 / 170, 200 / 340])
    assert np.isnan(frame["utilisation"].iloc[2])


def test_site_load_top_decile_without_ratio():
    nearest, t1, t2, pop, cap = load_fixture()
    r = site_load(nearest, t1, pop, cap, time2=t2)
    # Known loads 75 and 50: 90th percentile (linear) = 50 + 0.9 * 25 = 72.5 -> only site 0.
    assert r.overload_rule == "top_decile" and r.overload_threshold == pytest.approx(72.5)
    assert r.overloaded.tolist() == [True, False, False]
    assert any(n.code == "overload_relative" for n in r.notices)


def test_site_load_without_second_times():
    nearest, t1, _, pop, cap = load_fixture()
    r = site_load(nearest, t1, pop, cap)
    assert np.isnan(r.sole_share).all()
    assert any(n.code == "second_site_unknown" for n in r.notices)


def test_capacity_in_people():
    c = capacity_in_people([2.0, 3.0, np.nan], population_total=1000.0, capacity_unit="ETP")
    # 1000 people / 5 known ETP = 200 people per ETP; known capacities add up to the population.
    assert c.people_per_unit == 200.0 and c.default_ratio
    assert c.capacity_people[:2].tolist() == [400.0, 600.0] and np.isnan(c.capacity_people[2])
    assert np.nansum(c.capacity_people) == pytest.approx(1000.0)
    assert "1 ETP = 200,0 habitants" in c.label
    given_ratio = capacity_in_people([2.0], people_per_unit=1500.0, capacity_unit="ETP")
    assert given_ratio.capacity_people.tolist() == [3000.0] and not given_ratio.default_ratio
    with pytest.raises(InputError):
        capacity_in_people([np.nan], population_total=10.0)
    with pytest.raises(InputError):
        capacity_in_people([1.0])
    with pytest.raises(InputError):
        capacity_in_people([-1.0], population_total=10.0)


# --------------------------------------------------------------------------------------------
# Aggregation and summary

def test_aggregation_hand_computed():
    index = np.array([0.0, 2.0, 4.0, 1.0])
    pop = np.array([100.0, 100.0, 200.0, 50.0])
    table = aggregate_by_area(index, pop, ["A", "A", "A", "B"]).set_index("key")
    # A: mean = (0*100 + 2*100 + 4*200) / 400 = 2.5 ; median: cumulated 100, 200, 400 -> half (200) reached at 2.
    assert table.loc["A", "mean"] == pytest.approx(2.5)
    assert table.loc["A", "median"] == 2.0
    assert table.loc["A", "p10"] == 0.0 and table.loc["A", "p90"] == 4.0
    assert table.loc["A", "share_zero"] == pytest.approx(0.25)
    assert table.loc["B", "mean"] == 1.0 and table.loc["B", "share_zero"] == 0.0
    s = index_summary(index, pop)
    assert s["mean"] == pytest.approx((200 + 800 + 50) / 450)
    assert s["share_zero"] == pytest.approx(100 / 450)


@settings(max_examples=60, deadline=None)
# Weights are people: zero or at least a thousandth (subnormal weights only measure float rounding).
@given(st.lists(st.tuples(st.floats(0, 50), st.one_of(st.just(0.0), st.floats(1e-3, 1000)), st.integers(0, 3)),
                min_size=1, max_size=40),
       st.sampled_from([0.1, 0.5, 0.9]))
def test_grouped_quantiles_match_coverage_weighted_quantile(rows, q):
    values = np.array([r[0] for r in rows])
    weights = np.array([r[1] for r in rows])
    keys = np.array([r[2] for r in rows])
    table = aggregate_by_area(values, weights, keys)
    column = {0.1: "p10", 0.5: "median", 0.9: "p90"}[q]
    for _, row in table.iterrows():
        part = keys == row["key"]
        expected = weighted_quantile(values[part], weights[part], q)
        if np.isnan(expected):
            assert np.isnan(row[column])
        else:
            assert row[column] == expected


# --------------------------------------------------------------------------------------------
# Properties

def random_instance(seed: int, n_units: int = 60, n_sites: int = 8, limit_min: float = 45.0):
    rng = np.random.default_rng(seed)
    minutes = rng.uniform(0, 60, size=(n_units, n_sites))
    whole = rng.random((n_units, n_sites)) < 0.2
    minutes[whole] = np.round(minutes[whole])  # whole minutes: many pairs on the band limits
    minutes[0, 0] = 10.0  # on band limits
    minutes[1, 1] = 20.0
    minutes[2, 2] = 30.0
    keep = minutes <= limit_min
    rows, cols = np.nonzero(keep)
    times = sp.csr_matrix((minutes[rows, cols] * MIN, (rows, cols)), shape=(n_units, n_sites))
    pop = rng.integers(1, 5000, size=n_units).astype(float)
    cap = rng.uniform(0.5, 10, size=n_sites)
    return times, pop, cap


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.booleans())
def test_conservation_2sfca_and_e2sfca(seed, enhanced):
    times, pop, cap = random_instance(seed)
    r = enhanced_two_step_fca(times, pop, cap) if enhanced else two_step_fca(times, pop, cap)
    # Σ_i P_i A_i = Σ_j S_j over the sites with a non-empty catchment (all of them, when every site has one).
    served = r.site_demand > 0
    assert float(pop @ r.index) / 1000 == pytest.approx(cap[served].sum(), rel=1e-9)
    assert (r.index >= 0).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(5, 60))
def test_load_properties(seed, threshold):
    rng = np.random.default_rng(seed)
    n, m = 50, 6
    nearest = rng.integers(-1, m, size=n)
    t1 = np.where(nearest >= 0, rng.uniform(0, 3600, size=n), np.inf)
    t2 = np.where(nearest >= 0, t1 + rng.uniform(0, 1800, size=n), np.inf)
    pop = rng.uniform(0, 1000, size=n)
    cap = np.where(rng.random(m) < 0.2, np.nan, rng.uniform(1, 10, size=m))
    r = site_load(nearest, t1, pop, cap, threshold, time2=t2)
    assert r.assigned.sum() <= pop.sum() + 1e-9
    assert r.assigned.sum() == pytest.approx(pop[(nearest >= 0) & (t1 <= threshold * 60)].sum())
    assert np.all(r.sole_population <= r.assigned + 1e-9)
    assert not r.overloaded[np.isnan(cap)].any()
    finite = np.isfinite(cap)
    assert r.load[finite] == pytest.approx(r.assigned[finite] / cap[finite])
    # Top-decile flag: at most ceil(10 %) of the known sites, unless loads tie.
    if r.overload_rule == "top_decile" and finite.any():
        loads = r.load[finite]
        assert r.overloaded.sum() <= max(1, int(np.sum(loads >= np.quantile(loads, 0.9))))


# --------------------------------------------------------------------------------------------
# Against pysal access (same inputs)

@pytest.fixture(scope="module")
def pysal_access():
    """pysal's ``access`` package, installed beside this project (the dev extras): ``import access``."""
    module = pytest.importorskip("access", reason="pysal access absent: pip install -e '.[dev]'")
    assert hasattr(module, "Access"), "``access`` must be pysal's package"
    return module


def pysal_index(module, times, pop, cap, method: str, max_cost: float) -> np.ndarray:
    coo = times.tocoo()
    cost = pd.DataFrame({"origin": coo.row, "dest": coo.col, "cost": coo.data / MIN})
    model = module.Access(demand_df=pd.DataFrame({"geoid": np.arange(pop.size), "pop": pop}),
                          demand_index="geoid", demand_value="pop",
                          supply_df=pd.DataFrame({"geoid": np.arange(cap.size), "cap": cap}),
                          supply_index="geoid", supply_value="cap", cost_df=cost, cost_origin="origin",
                          cost_dest="dest", cost_name="cost")
    if method == "2sfca":
        out = model.two_stage_fca(name="x", max_cost=max_cost)
    else:
        out = model.enhanced_two_stage_fca(name="x", max_cost=max_cost)  # its default: {10: 1, 20: 0.68, 30: 0.22}
    return out["x_cap"].reindex(np.arange(pop.size)).fillna(0.0).to_numpy() * 1000


@PYSAL_WARNINGS
def test_pysal_access_installs_beside_access30(pysal_access):
    import access30

    assert pysal_access.__name__ == "access" and pysal_access.weights.__name__ == "access.weights"
    assert Path(access30.__file__).resolve().parent == ROOT / "access30"
    assert not hasattr(access30, "Access")  # two packages, two names


@PYSAL_WARNINGS
def test_hand_case_against_pysal(pysal_access):
    ours = two_step_fca(hand_times(), POP, CAP)
    assert ours.index == pytest.approx(pysal_index(pysal_access, hand_times(), POP, CAP, "2sfca", 30), rel=1e-12)
    ours = enhanced_two_step_fca(hand_times(), POP, CAP)
    assert ours.index == pytest.approx(pysal_index(pysal_access, hand_times(), POP, CAP, "e2sfca", 30), rel=1e-12)


@PYSAL_WARNINGS
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("method", ["2sfca", "e2sfca"])
def test_random_cases_against_pysal(pysal_access, seed, method):
    times, pop, cap = random_instance(seed, n_units=120, n_sites=12)
    expected = pysal_index(pysal_access, times, pop, cap, method, 30.0)
    ours = (two_step_fca(times, pop, cap, 30) if method == "2sfca" else enhanced_two_step_fca(times, pop, cap)).index
    assert ours == pytest.approx(expected, rel=1e-10, abs=1e-12)
    assert (ours > 0).sum() > 50  # the comparison is not vacuous


# --------------------------------------------------------------------------------------------
# Opening hours as a capacity proxy (real data: France Services of Martinique, ANCT list)

def test_opening_hours_capacity_on_martinique():
    from access30.inputs.sites import load_france_services

    sites = load_france_services(SHARED / "martinique" / "france_services_972.csv")
    cap = opening_hours_capacity(sites)
    assert isinstance(cap, Capacity) and cap.proxy and cap.values.size == 20
    lorrain = sites["name"].str.contains("Le Lorrain").to_numpy()
    # Le Lorrain: Mon and Tue 07:00-13:00 + 14:00-17:00 = 9 h each; Wed, Thu, Fri 07:00-13:00 = 6 h each: 36 h.
    assert cap.values[lorrain] == pytest.approx([36.0])
    assert np.isfinite(cap.values).all() and (cap.values > 0).all()
    load = site_load(np.zeros(1, dtype=int), [60.0], [100.0], cap)
    assert load.capacity_unit == "heure d'ouverture hebdomadaire"
    assert any(n.code == "capacity_proxy" for n in load.notices)


def test_opening_hours_unknown_stay_unknown():
    sites = pd.DataFrame({"hours": ["", "Mo-Fr 09:00-12:00", "n'importe quoi"],
                          "hours_format": ["osm", "osm", "osm"]})
    cap = opening_hours_capacity(sites)
    assert np.isnan(cap.values[0]) and cap.values[1] == pytest.approx(15.0) and np.isnan(cap.values[2])


def test_zero_capacity_and_bad_inputs():
    # A site with capacity 0 and people assigned has an infinite load and is always flagged;
    # one with nobody assigned has load 0.
    r = site_load(np.array([0, 1]), np.array([60.0, 60.0]), np.array([10.0, 0.0]), [0.0, 0.0])
    assert np.isinf(r.load[0]) and r.load[1] == 0.0
    assert r.overloaded.tolist() == [True, False]
    with pytest.raises(InputError):
        site_load(np.array([0, 3]), np.array([60.0, 60.0]), np.array([1.0, 1.0]), [1.0, 1.0])  # no site 3
    with pytest.raises(InputError):
        site_load(np.array([0]), np.array([60.0, 60.0]), np.array([1.0]), [1.0])  # sizes differ
    with pytest.raises(InputError):
        site_load(np.array([0]), np.array([60.0]), np.array([1.0]), [1.0], max_load=0)
