"""The coverage pipeline (coverage.run): the same figures as ``access30 coverage``, and the lens asked for."""

from __future__ import annotations

import json

import numpy as np
import pytest

from access30.cli import main
from access30.coverage.options import CapacityOptions, CoverageOptions, RunOptions
from access30.coverage.run import Run, app_record, coverage_result, run
from access30.inputs.assemble import StudyRequest
from access30.outputs.export import summary_json

DEMO = StudyRequest(territory="st-brieuc-loudeac")
FIGURES = ("population_total", "population_covered", "population_uncovered", "population_no_road", "share_covered",
           "mean_time_min", "median_time_min", "p90_time_min", "cells_covered", "sites_total", "sites_on_network")


def cli_summary(tmp_path, *extra: str) -> dict:
    summary = tmp_path / "summary.json"
    code = main(["coverage", "--territory", "st-brieuc-loudeac", "--out", str(tmp_path / "out.gpkg"),
                 "--summary", str(summary), "--quiet", *extra])
    assert code == 0
    return json.loads(summary.read_text(encoding="utf-8"))


def test_run_equals_the_command_line(tmp_path):
    done = run(RunOptions(DEMO, CoverageOptions()))
    assert isinstance(done, Run) and len(done.routing.times.time1) == len(done.study.demand.units)
    expected = cli_summary(tmp_path)
    for key in FIGURES:
        assert done.result.summary[key] == pytest.approx(expected[key]), key
    assert round(done.result.summary.population_total) == 154_995
    assert done.result.summary.sites_total == 32


def test_run_at_a_moment_equals_the_command_line(tmp_path):
    done = run(RunOptions(DEMO, CoverageOptions(at="mardi 18:00")))
    expected = cli_summary(tmp_path, "--at", "mardi 18:00")
    hours = done.result.summary.hours
    assert hours is not None and hours.when == expected["hours_when"] == "le mardi à 18:00"
    assert (hours.sites_all, hours.sites_open) == (expected["sites_all"], expected["sites_open"]) == (32, 1)
    for key in FIGURES:
        assert done.result.summary[key] == pytest.approx(expected[key]), key
    # One site open on a Tuesday evening (Quessoy's town hall) covers fewer people than the 32 at any time.
    assert done.result.summary.share_covered < 0.8


def test_coverage_result_reads_the_lens(demo_study, demo_routing, demo_result):
    nearest = coverage_result(demo_study, demo_routing, RunOptions(DEMO, CoverageOptions()))
    assert nearest.summary.population_covered == pytest.approx(demo_result.summary.population_covered)
    assert nearest.summary.hours is None and nearest.capacity is None
    workers = coverage_result(demo_study, demo_routing, RunOptions(DEMO, CoverageOptions(workers_hours=True)))
    assert workers.summary.hours is not None
    assert workers.summary.population_covered <= nearest.summary.population_covered + 1e-6


def test_coverage_result_with_capacity(demo_study, demo_routing):
    options = RunOptions(DEMO, CoverageOptions(capacity=CapacityOptions("hours", people_per_unit=100.0)))
    result = coverage_result(demo_study, demo_routing, options)
    assert result.capacity is not None
    assert result.capacity.capacity.proxy and len(result.capacity.sites_load) == len(demo_study.sites)
    assert result.capacity.people is not None and result.capacity.people.people_per_unit == 100.0
    # The load columns reach the sites; the people assigned are the nearest-site population within 30 min.
    assert {"capacity", "population_assigned", "load"} <= set(result.sites.columns)
    assigned = result.capacity.sites_load["population_assigned"].to_numpy(dtype=float)
    assert np.nansum(assigned) == pytest.approx(result.summary.population_covered, rel=1e-6)


def test_the_app_gets_the_record_of_its_settings(tmp_path):
    """app_record: what the app's exports say of how they were made (settings, typed options, files, sources)."""
    options = RunOptions(DEMO, CoverageOptions(threshold_min=20.0))
    done = run(options)
    made = app_record(options, done.study, {"seuil": 20, "mode": "voiture", "territoire": "st-brieuc-loudeac"})
    assert made.command == "app" and made.argv is None and made.arguments["seuil"] == 20
    assert made.options["coverage"]["threshold_min"] == 20.0 and made.options["study"]["demand"] == "grid"
    assert any(i["path"].endswith("st_brieuc_loudeac.osm.pbf") and len(i["sha256"]) == 64 for i in made.inputs)
    assert [s["line"] for s in made.sources] == list(done.study.sources)
    assert made.duration_s is not None and made.lines()[1] == "Lancé depuis l'application"
    assert summary_json(done.result, record=made)["run"]["arguments"]["mode"] == "voiture"
