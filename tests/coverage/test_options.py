"""The typed options of a coverage run: the lens and the capacity column."""

from __future__ import annotations

import dataclasses

import pytest

from access30.coverage.options import (
    DEFAULT_CAPACITY_UNIT,
    HOURS,
    MOMENT,
    NEAREST,
    WORKERS,
    CapacityOptions,
    CoverageOptions,
    RunOptions,
)
from access30.inputs.assemble import StudyRequest


def test_lens():
    assert CoverageOptions().lens == NEAREST == "nearest"
    assert CoverageOptions(at="mardi 18:00").lens == MOMENT == "moment"
    assert CoverageOptions(workers_hours=True).lens == WORKERS == "workers"
    # A moment is the more precise question: it wins over the hours of people in work.
    assert CoverageOptions(at="samedi 10:00", workers_hours=True).lens == MOMENT
    assert CoverageOptions(at="").lens == NEAREST


def test_capacity_column():
    assert HOURS == "hours" and CapacityOptions(HOURS).column is None
    assert CapacityOptions("agents").column == "agents"
    assert CapacityOptions("agents").unit is None and DEFAULT_CAPACITY_UNIT == "ETP"


def test_run_options_defaults_and_frozen():
    options = RunOptions()
    assert options.study == StudyRequest() and options.coverage == CoverageOptions()
    assert options.threshold_min == 30.0
    assert RunOptions(StudyRequest(territory="martinique"), CoverageOptions(threshold_min=20)).threshold_min == 20
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.coverage.threshold_min = 45.0
