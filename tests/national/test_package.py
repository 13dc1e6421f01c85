"""The face of the national stage (access30.national): it exports nothing itself and names its two modules."""

from __future__ import annotations

import importlib
import re

import access30.national
from access30.national import batch, outputs


def test_the_docstring_names_modules_that_exist():
    named = re.findall(r"access30\.national\.(\w+)", access30.national.__doc__)
    assert sorted(set(named)) == ["batch", "outputs"]
    for name in named:
        assert importlib.import_module(f"access30.national.{name}") is {"batch": batch, "outputs": outputs}[name]
    assert callable(batch.run_batch) and callable(outputs.write_national)
