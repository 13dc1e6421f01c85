"""The public face: ``import access30`` names the API, and every Examples section runs."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

import access30

#: Every module whose docstrings hold Examples (run as doctests on the real demo data), found in the source so
#: that none is forgotten.
PACKAGE = Path(access30.__file__).parent
WITH_EXAMPLES = sorted(
    ".".join(("access30", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
    if re.search(r"^\s*>>> (?!.*doctest: \+SKIP)", path.read_text(encoding="utf-8"), re.MULTILINE))


def test_the_api_is_short_and_every_name_exists():
    assert len(access30.__all__) <= 25
    for name in access30.__all__:
        assert getattr(access30, name) is not None, name


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_examples_run(name):
    if name.startswith("access30.app"):
        pytest.importorskip("streamlit")
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0, f"{name} has no Examples"
    assert failed == 0


def test_pysal_access_imports_beside_access30():
    pysal = pytest.importorskip("access", reason="pysal access is a dev extra")
    assert hasattr(pysal, "Access") and not hasattr(access30, "Access")
