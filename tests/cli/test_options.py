"""From the command line to the typed options of the core: RunOptions and SuggestOptions, no parser inside."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from access30.cli.options import run_options, suggest_options, tour_options
from access30.cli.parser import build_parser
from access30.coverage.options import MOMENT, NEAREST, WALK_IN, WORKERS, CapacityOptions, CoverageOptions, RunOptions
from access30.inputs.assemble import StudyRequest
from access30.inputs.catalogue import DEFAULT_MAX_CELLS
from access30.suggest.run import SuggestOptions
from access30.suggest.tour import TourOptions

DEMO = ["--territory", "st-brieuc-loudeac"]


def parse(*args: str) -> argparse.Namespace:
    return build_parser().parse_args(list(args))


def values(obj):
    """Every value held by a dataclass, nested dataclasses and tuples opened."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from values(getattr(obj, f.name))
    elif isinstance(obj, tuple):
        for item in obj:
            yield from values(item)
    else:
        yield obj


def test_coverage_defaults():
    options = run_options(parse("coverage", *DEMO, "--out", "x.gpkg"))
    assert isinstance(options, RunOptions)
    assert isinstance(options.study, StudyRequest) and isinstance(options.coverage, CoverageOptions)
    assert options.study.territory == "st-brieuc-loudeac" and options.study.mode == "drive"
    assert options.study.when is None and options.study.capacity_column is None
    assert options.coverage == CoverageOptions()
    assert options.threshold_min == 30.0 and options.coverage.lens == NEAREST


def test_threshold_and_moment():
    options = run_options(parse("coverage", *DEMO, "--out", "x.gpkg", "--threshold", "20", "--at", "mardi 18:00"))
    assert options.threshold_min == 20.0
    assert options.coverage.at == "mardi 18:00" and options.coverage.lens == MOMENT
    assert options.study.when == "mardi 18:00"  # a timetable mode starts its window there
    workers = run_options(parse("coverage", *DEMO, "--out", "x.gpkg", "--workers-hours"))
    assert workers.coverage.workers_hours and workers.coverage.lens == WORKERS


def test_capacity_options_are_typed():
    options = run_options(parse("coverage", *DEMO, "--out", "x.gpkg", "--sites", "lieux.csv", "--capacity", "agents",
                                "--capacity-unit", "agents", "--people-per-unit", "1500", "--overload", "2,5"))
    assert options.coverage.capacity == CapacityOptions(spec="agents", unit="agents", people_per_unit=1500.0,
                                                        overload=2.5)
    assert options.study.capacity_column == "agents" and options.study.sites == Path("lieux.csv")
    hours = run_options(parse("coverage", *DEMO, "--out", "x.gpkg", "--capacity", "hours"))
    assert hours.coverage.capacity == CapacityOptions(spec="hours")
    assert hours.study.capacity_column is None  # the hours are read with the sites, no column


def test_suggest_options_defaults():
    ask = suggest_options(parse("suggest", *DEMO, "--out", "s.gpkg"))
    assert ask == SuggestOptions(model="maxcover", k=None, sources=("mairies", "france_services"))
    assert ask.max_cells == DEFAULT_MAX_CELLS and ask.cells_method == "grid" and ask.time_limit_s == 60.0


def test_suggest_options_given():
    args = parse("suggest", *DEMO, "--out", "s.gpkg", "--model", "median", "--k", "3", "--weight", "poor_households",
                 "--time-limit", "5", "--candidates", "mairies,cells,mes_lieux.csv", "--max-cells", "50",
                 "--cells-method", "kmeans", "--mairies-file", "mairies.csv")
    ask = suggest_options(args)
    assert (ask.model, ask.k, ask.weight, ask.time_limit_s) == ("median", 3, "poor_households", 5.0)
    assert ask.sources == ("mairies", "cells") and ask.candidates_file == Path("mes_lieux.csv")
    assert (ask.max_cells, ask.cells_method) == (50, "kmeans")
    assert ask.files == (("mairies", Path("mairies.csv")),)
    capacitated = suggest_options(parse("suggest", *DEMO, "--out", "s.gpkg", "--capacitated", "--new-capacity", "2"))
    assert capacitated.capacitated and capacitated.new_capacity == 2.0


def test_no_argparse_object_below_the_shell():
    args = parse("suggest", *DEMO, "--out", "s.gpkg", "--capacity", "hours", "--k", "2")
    for options in (run_options(args), suggest_options(args)):
        held = list(values(options))
        assert held and not any(isinstance(v, (argparse.Namespace, argparse.ArgumentParser)) for v in held)


def test_walk_in_and_wait_are_typed():
    options = run_options(parse("coverage", *DEMO, "--walk-in", "--wait", "--out", "x.gpkg"))
    assert options.coverage.walk_in and options.coverage.wait and options.coverage.lens == WALK_IN
    moment = run_options(parse("report", *DEMO, "--walk-in", "--at", "mardi 9:00", "--out-dir", "r"))
    assert moment.coverage.walk_in and not moment.coverage.wait and moment.coverage.lens == MOMENT


def test_tour_options_defaults_are_those_of_the_core():
    args = parse("tour", *DEMO, "--out", "t.gpkg")
    assert tour_options(args) == TourOptions()
    assert run_options(args).study.territory == "st-brieuc-loudeac"


def test_tour_options_given(tmp_path):
    places = tmp_path / "lieux.csv"
    args = parse("tour", *DEMO, "--mode", "walk", "--half-days", "5", "--base=-2.76,48.51", "--max-drive-min",
                 "45", "--stop-hours", "2,5", "--midday-drive-min", "30", "--candidates", f"mairies,cells,{places}",
                 "--max-cells", "300", "--weeks", "2", "--time-limit", "20", "--out", "t.gpkg")
    ask = tour_options(args)
    assert ask == TourOptions(half_days=5, base="-2.76,48.51", max_drive_min=45.0, stop_hours=2.5,
                              midday_drive_min=30.0, sources=("mairies", "cells"), candidates_file=places,
                              max_cells=300, weeks=2, time_limit_s=20.0)
    assert not any(isinstance(v, argparse.Namespace) for v in values(ask))
