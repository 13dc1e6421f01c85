"""The headline figures (coverage.summary): typed fields that are also a read-only mapping of the JSON keys."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import pytest

from access30.coverage.hours import coverage_at
from access30.coverage.summary import HoursSummary, Summary

JSON_KEYS = ("population_total", "population_covered", "population_uncovered", "population_no_road",
             "share_covered", "mean_time_min", "median_time_min", "p90_time_min", "cells_total", "cells_covered",
             "sites_total", "sites_on_network")


def test_the_mapping_equals_the_attributes(demo_result):
    summary = demo_result.summary
    assert isinstance(summary, Summary) and isinstance(summary, Mapping)
    for key in JSON_KEYS:
        assert summary[key] == getattr(summary, key), key
    assert summary["share_covered"] == pytest.approx(summary.population_covered / summary.population_total)
    assert list(summary) == list(summary.to_dict()) and len(summary) == len(summary.to_dict())
    assert list(summary)[:3] == ["territory", "threshold_min", "travel_mode"]
    assert round(summary["population_total"]) == 154_995


def test_network_counts_flattened_and_no_hours_key(demo_result):
    summary = demo_result.summary
    assert "network" not in summary and "hours" not in summary and "hours_when" not in summary
    assert summary["network_source"] == summary.network_source == "st_brieuc_loudeac.osm.pbf"
    assert summary["network_partial"] is True and summary.network_partial


def test_read_only(demo_result):
    summary = demo_result.summary
    with pytest.raises(TypeError):
        summary["population_covered"] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.population_covered = 0.0
    copy = summary.to_dict()
    copy["population_covered"] = 0.0
    assert summary["population_covered"] > 0  # to_dict gives a copy


def test_json_and_the_hours_lens(demo_study, demo_routing, demo_result):
    text = demo_result.summary.to_json({"extra": "oui"})
    data = json.loads(text)
    assert data["population_covered"] == pytest.approx(demo_result.summary.population_covered)
    assert data["extra"] == "oui" and "é" in text  # French kept as is
    evening = coverage_at(demo_study, demo_routing, "mardi 18:00", 30.0).summary
    assert isinstance(evening.hours, HoursSummary)
    assert evening["hours_when"] == evening.hours.when == "le mardi à 18:00"
    assert evening["sites_open"] == evening.hours.sites_open == 1
    assert evening.population_not_covered == pytest.approx(evening.population_uncovered + evening.population_no_road)
