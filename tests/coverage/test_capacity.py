"""Charge des lieux d'accueil on the demo study.

access30.coverage.capacity, suggest --capacitated, --capacity on the CLI.

The issue's done-when: with ``--capacity hours`` the JSON has a load per site and a 2SFCA summary;
a capacitated maximal covering with k = 2 is proven optimal and its assignment respects every
capacity. Without ``--capacity`` nothing changes.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from access30.base.errors import InputError
from access30.coverage.capacity import capacity_indicators, site_capacity, with_capacity
from access30.inputs.sites import read_sites
from access30.outputs.export import summary_json


@pytest.fixture(scope="module")
def hours_report(demo_study, demo_routing):
    capacity = site_capacity(demo_study.sites, "hours")
    return capacity_indicators(demo_study, demo_routing, capacity, 30.0)


def test_load_per_site_in_the_json(demo_result, hours_report):
    data = summary_json(with_capacity(demo_result, hours_report))
    assert len(data["sites_load"]) == len(demo_result.sites)
    for rec in data["sites_load"]:
        assert {"site_id", "name", "capacity", "capacity_unit", "capacity_people", "population_assigned",
                "load"} <= set(rec)
        if rec["capacity"]:
            assert rec["load"] == pytest.approx(rec["population_assigned"] / rec["capacity"])
    assert data["capacity"]["proxy"] is True and "hebdomadaire" in data["capacity"]["unit"]
    assert "habitants" in data["capacity"]["people_per_unit_label"]
    fca = data["access_2sfca"]
    assert fca["population"] == pytest.approx(demo_result.summary.population_total)
    assert 0 < fca["p10"] <= fca["median"] <= fca["p90"]
    assert "access_e2sfca" in data
    # Assigned people are the covered ones (nearest site within the threshold, road access).
    assert sum(r["population_assigned"] for r in data["sites_load"]) == pytest.approx(
        demo_result.summary.population_covered, rel=1e-9)
    json.dumps(data)  # plain JSON


def test_capacity_people_and_2sfca_conservation(hours_report):
    people = hours_report.sites_load["capacity_people"].to_numpy()
    # Default ratio: the known capacities in people add up to the whole population.
    assert np.nansum(people) == pytest.approx(hours_report.population.sum(), rel=1e-9)
    # 2SFCA conserves supply: Σ P_i A_i / 1000 = Σ S_j over sites with someone in their catchment.
    fca = hours_report.fca
    reached = hours_report.fca.site_demand > 0
    assert (hours_report.population * fca.index).sum() / fca.per == pytest.approx(
        hours_report.capacity.values[reached].sum(), rel=1e-9)
    assert set(hours_report.by_commune.columns) >= {"commune", "fca_2sfca_mean", "fca_e2sfca_mean"}


def test_overload_ratio(demo_study, demo_routing):
    capacity = site_capacity(demo_study.sites, "hours")
    report = capacity_indicators(demo_study, demo_routing, capacity, 30.0, max_load=300.0)
    loads = report.sites_load
    assert (loads["overloaded"] == (loads["load"] > 300.0)).all()


def test_no_capacity_no_change(demo_result):
    data = summary_json(demo_result)
    assert not any("2sfca" in key or key == "sites_load" for key in data)


def test_capacitated_maxcover_k2_on_the_demo(demo_study, demo_routing):
    from access30.suggest.candidates import build_candidates
    from access30.suggest.capacitated import suggest_capacitated

    candidates, _ = build_candidates(demo_study)
    capacity = site_capacity(demo_study.sites, "hours")
    suggestion = suggest_capacitated(demo_study, demo_routing, "maxcover", 2, capacity, 30.0, candidates=candidates,
                                     time_limit_s=120)
    assert suggestion.optimal and suggestion.gap == 0
    check = suggestion.capacitated
    assert check["capacity_respected"]
    for site in check["sites"]:
        assert site["served_population"] <= site["capacity_people"] * (1 + 1e-9) + 1e-6
    assert check["population_served"] == pytest.approx(suggestion.objective)
    assert len(suggestion.suggested) <= 2
    assert "capacitated" in suggestion.to_summary()


def test_capacity_column_of_a_site_file(tmp_path):
    path = tmp_path / "lieux.csv"
    path.write_text("nom;lon;lat;agents\nA;-2.76;48.51;2,5\nB;-2.70;48.45;\nC;-2.80;48.40;1\n", encoding="utf-8")
    sites, _ = read_sites(path, capacity_column="Agents")
    assert np.isnan(sites["capacity"].iloc[1])
    assert sites["capacity"].iloc[0] == 2.5
    capacity = site_capacity(sites, "Agents", "agent")
    assert capacity.unit == "agent" and not capacity.proxy and capacity.known.sum() == 2
    with pytest.raises(InputError, match="capacité"):
        read_sites(path, capacity_column="etp")
    path.write_text("nom;lon;lat;agents\nA;-2.76;48.51;-1\n", encoding="utf-8")
    with pytest.raises(InputError, match="négative"):
        read_sites(path, capacity_column="agents")


def test_capacity_column_without_a_site_file(demo_study):
    with pytest.raises(InputError, match="--sites"):
        site_capacity(demo_study.sites, "agents")


def test_cli_capacitated_needs_a_capacity(tmp_path, capsys):
    from access30.cli import main

    code = main(["suggest", "--capacitated", "--k", "2", "--out", str(tmp_path / "s.gpkg"), "--quiet"])
    assert code == 2
    assert "--capacity" in capsys.readouterr().err
