"""The public face: ``import access30`` names the API, and every Examples section runs."""

from __future__ import annotations

import doctest
import importlib

import pytest

import access30

#: The modules whose docstrings hold Examples (run as doctests on the real demo data).
WITH_EXAMPLES = ["access30", "access30.coverage.engine", "access30.coverage.options", "access30.coverage.run",
                 "access30.outputs.pack", "access30.inputs.schedule", "access30.inputs.hours_fr",
                 "access30.inputs.hours", "access30.coverage.wait", "access30.coverage.walkin", "access30.suggest.tour",
                 "access30.base.record", "access30.base.fetch", "access30.base.download", "access30.base.fmt",
                 "access30.inputs.population", "access30.outputs.export", "access30.app.readings"]


def test_the_api_is_short_and_every_name_exists():
    assert len(access30.__all__) <= 25
    for name in access30.__all__:
        assert getattr(access30, name) is not None, name


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_examples_run(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0, f"{name} has no Examples"
    assert failed == 0


def test_pysal_access_imports_beside_access30():
    pysal = pytest.importorskip("access", reason="pysal access is a dev extra")
    assert hasattr(pysal, "Access") and not hasattr(access30, "Access")
