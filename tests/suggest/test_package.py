"""The face of the suggestion stage (access30.suggest): its public names, each the stage's own."""

from __future__ import annotations

import importlib

from access30.suggest import MODELS, Suggestion, build_candidates, candidate_unit_times, suggest_sites
from access30.suggest.candidates import build_candidates as candidates_build
from access30.suggest.matrix import candidate_unit_times as matrix_times
from access30.suggest.suggestion import Suggestion as SuggestionClass
from access30.suggest.suggestion import suggest_sites as suggestion_sites


def test_every_public_name_exists():
    stage = importlib.import_module("access30.suggest")
    import access30

    assert access30.suggest is stage  # the attribute is the stage, never shadowed by a function
    assert [name for name in stage.__all__ if not hasattr(stage, name)] == []
    assert MODELS == ("cover", "maxcover", "median")
    assert suggest_sites is suggestion_sites and Suggestion is SuggestionClass
    assert build_candidates is candidates_build and candidate_unit_times is matrix_times
