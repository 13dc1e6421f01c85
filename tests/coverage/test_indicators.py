"""Coverage indicators: pure functions against hand computations, and the demo against the data."""

import numpy as np
import pandas as pd
import pytest

from access30.base.errors import InputError
from access30.coverage import rules as cov
from access30.coverage.engine import evaluate
from tests.paths import DEMO_AREA


def test_weighted_quantile_matches_repeated_values():
    rng = np.random.default_rng(1)
    values = rng.uniform(0, 60, 200)
    weights = rng.integers(0, 6, 200)
    repeated = np.repeat(values, weights)
    for q in (0.1, 0.5, 0.9):
        assert cov.weighted_quantile(values, weights, q) == pytest.approx(
            np.quantile(repeated, q, method="inverted_cdf"))


def test_threshold_is_inclusive():
    status = cov.classify(np.array([1800.0, 1800.0 + 1e-3, np.inf, 10.0]),
                          np.array([True, True, True, False]), 30.0)
    assert list(status) == [cov.STATUS_COVERED, cov.STATUS_UNCOVERED, cov.STATUS_UNCOVERED, cov.STATUS_NO_ROAD]


def test_demo_totals_add_up(demo_result):
    s = demo_result.summary
    assert s["population_total"] == pytest.approx(154_995)
    assert s["population_covered"] + s["population_uncovered"] + s["population_no_road"] == pytest.approx(154_995)
    assert s["share_covered"] == pytest.approx(s["population_covered"] / 154_995)
    units = demo_result.units
    assert (units.loc[units["status"] == cov.STATUS_COVERED, "population"].sum()
            == pytest.approx(s["population_covered"]))
    assert (units.loc[units["status"] == cov.STATUS_COVERED, "time_min"] <= 30.0).all()
    assert s["sites_total"] == 32 and s["sites_by_type"] == {"mairie": 26, "france_services": 6}
    # Catchments share out all routed population.
    routed = units.loc[units["site_id"] != "", "population"].sum()
    assert demo_result.sites["catchment_population"].sum() == pytest.approx(routed)


def test_demo_commune_table_matches_legal_populations(demo_study, demo_routing):
    """Each commune's row counts exactly its legal population, and never more people uncovered than it has
    (at 20 min, where the demo has zones blanches: a border cell once counted whole in Uzel gave « 1 062 non
    couverts » for 1 046 inhabitants)."""
    legal = pd.read_csv(DEMO_AREA, dtype={"code": str}).set_index("code")["population_municipale"]
    result = evaluate(demo_study, demo_routing, 20.0)
    table = result.communes.set_index("commune")
    assert set(table.index) == set(legal.index)
    np.testing.assert_allclose(table["population"].reindex(legal.index), legal, rtol=1e-12)
    assert (table["not_covered"] <= table["population"] * (1 + 1e-12)).all()
    assert table.loc["22384", "not_covered"] == pytest.approx(1_046)  # Uzel: all of it beyond 20 min, no more
    assert (table["not_covered"].diff().dropna() <= 1e-9).all()  # worst first
    assert not result.epci.empty
    assert result.epci["population"].sum() == pytest.approx(154_995)


def test_not_covered_at_another_threshold_equals_evaluating_it(demo_study, demo_routing, demo_result):
    """The people beyond a shorter threshold, read from the 30-minute result's times, are those a new evaluation
    counts; the demo at 30 min by car: nobody; the longest shorter threshold with someone beyond: 25 min, 600."""
    for threshold in (5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 45.0):
        s = evaluate(demo_study, demo_routing, threshold).summary
        assert cov.not_covered_at(demo_result.units, threshold) == pytest.approx(
            s["population_uncovered"] + s["population_no_road"], abs=1e-6), threshold
    assert cov.not_covered_at(demo_result.units, 30.0) == 0.0
    shorter, beyond = cov.shorter_threshold_beyond(demo_result.units, 30.0)
    assert shorter == 25.0 and round(beyond) == 600
    assert cov.shorter_threshold_beyond(demo_result.units, 5.0) is None  # none shorter than 5 min is tried


def test_threshold_changes_only_classification(demo_study, demo_routing):
    low = evaluate(demo_study, demo_routing, 10.0).summary
    high = evaluate(demo_study, demo_routing, 45.0).summary
    assert low["population_covered"] < high["population_covered"]
    assert low["mean_time_min"] == high["mean_time_min"]
    with pytest.raises(InputError):
        evaluate(demo_study, demo_routing, 0)


def test_demo_unit_times_match_networkx(demo_study, demo_routing):
    """End to end on the partial demo network (estimated links included): a sample of units against
    networkx on the graph with the projected points added as nodes."""
    from tests.routing.test_roads import check_against, reference_table

    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(len(demo_routing.units), 300, replace=False))
    units = demo_routing.units.take(sample)
    table = reference_table(demo_study.network, units, demo_routing.sites, demo_study.access)
    t = demo_routing.times
    got = type(t)(*(getattr(t, f)[sample] for f in t.__dataclass_fields__))
    check_against(table, got, units)


def test_demo_site_cells_are_close_and_every_site_serves_someone(demo_study, demo_result):
    """A resident in the cell of a reception point is minutes from it, and no site is left without users."""
    import geopandas as gpd

    units = demo_result.units
    sites = demo_result.sites.to_crs(units.crs)
    inside = gpd.sjoin(sites[["site_id", "geometry"]], units[["population", "time_min", "geometry"]],
                       predicate="within")
    # 27 of the 32 lie in a cell of the area; the other 5 (Le Mené, Plérin, Trémuson) beyond its communes,
    # within the 2 km where a site across the border still serves residents.
    assert len(inside) == 27
    assert set(sites["commune"][~sites["site_id"].isin(inside["site_id"])]) == {"22046", "22187", "22372"}
    assert inside["time_min"].max() <= 2.0
    # Every site in a populated cell serves someone (co-located sites share; at least one of them serves).
    populated = inside[inside["population"] > 0]
    served = demo_result.sites.set_index("site_id")["catchment_population"]
    for _, group in populated.groupby("index_right"):
        assert served[group["site_id"]].max() > 0
    assert (served > 0).sum() == len(served) == 32


def test_population_by_class_matches_an_independent_binning(demo_result):
    units = demo_result.units
    seconds = units["time_min"].to_numpy() * 60.0
    pop = units["population"].to_numpy()
    no_road = (units["status"] == cov.STATUS_NO_ROAD).to_numpy()
    for threshold, labels in ((30.0, ["0–10 min", "10–20 min", "20–30 min", "30–45 min", "> 45 min"]),
                              (25.0, ["0–10 min", "10–20 min", "20–25 min", "25–30 min", "30–45 min", "> 45 min"])):
        table = cov.population_by_class(units, threshold)
        assert list(table["label"]) == labels + ["sans accès routier"]
        # Upper bounds inclusive, like the coverage count (pd.cut's right-closed bins).
        bins = [-np.inf] + [b * 60.0 + 1e-6 for b in cov.time_breaks(threshold)] + [np.inf]
        binned = pd.cut(pd.Series(seconds[~no_road]), bins, right=True, labels=False)
        expected = np.bincount(binned.to_numpy(dtype=int), weights=pop[~no_road], minlength=len(labels))
        np.testing.assert_allclose(table["population"].to_numpy()[:-1], expected, rtol=1e-12)
        assert table["population"].iloc[-1] == pytest.approx(pop[no_road].sum())
        n_within = labels.index(f"{threshold - 5:g}–{threshold:g} min" if threshold == 25.0 else "20–30 min") + 1
        within = table["population"].to_numpy()[:n_within].sum()
        assert within == pytest.approx(evaluate_summary(demo_result, threshold), rel=1e-12)
        assert table["cumulative"].iloc[-1] == pytest.approx(1.0)


def evaluate_summary(result, threshold):
    """Population covered at ``threshold`` from the units' times (the coverage rule, recomputed)."""
    units = result.units
    on_road = (units["status"] != cov.STATUS_NO_ROAD).to_numpy()
    return units["population"].to_numpy()[on_road & (units["time_min"].to_numpy() * 60 <= threshold * 60 + 1e-6)].sum()


def test_class_colours_green_within_red_beyond_and_as_matplotlib():
    import matplotlib.colors as mcolors

    for threshold in (5.0, 17.5, 30.0, 60.0, 90.0):
        colours = cov.class_colours(threshold)
        breaks = cov.time_breaks(threshold)
        assert len(colours) == len(cov.class_labels(threshold)) == len(breaks) + 2
        n_in = sum(b <= threshold for b in breaks)
        for ramp, part in ((cov.COVERED_COLOURS, colours[:n_in]), (cov.UNCOVERED_COLOURS, colours[n_in:-1])):
            cmap = mcolors.LinearSegmentedColormap.from_list("ramp", list(ramp))
            expected = list(ramp[:len(part)]) if len(part) <= len(ramp) else [
                mcolors.to_hex(cmap(v)) for v in np.linspace(0, 1, len(part))]
            assert part == expected, threshold
        assert colours[-1] == cov.NO_ROAD_COLOUR


def test_exported_times_never_contradict_the_status(demo_result):
    """Times are written rounded *up*: a unit shown at or under the threshold is covered, and back."""
    from access30.base.fmt import round_up_minutes
    from access30.outputs.export import units_layer

    assert round_up_minutes([30.0000000001, 30.004, 29.996, np.inf]).tolist() == [30.0, 30.01, 30.0, np.inf]
    layer = units_layer(demo_result)
    routed = (demo_result.units["status"] != cov.STATUS_NO_ROAD).to_numpy()
    shown_within = (layer["time_min"] <= 30.0).to_numpy()
    assert np.array_equal(shown_within[routed], (layer["covered"] == 1).to_numpy()[routed])
    assert set(layer["status"]) <= {"couvert", "non couvert", "sans accès routier"}  # French words in the file
    assert (layer["time_min"].to_numpy()[routed] >= demo_result.units["time_min"].to_numpy()[routed] - 1e-9).all()
