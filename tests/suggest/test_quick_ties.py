"""The app's suggestions answer first: the search of ties is bounded, and a search cut short says « au moins »."""

from access30.app.suggestions import PAGE_MARGIN_S, Question, answer
from access30.locate.alternatives import TIE_SEARCH_S
from access30.suggest.candidates import DEFAULT_CANDIDATES, build_candidates
from access30.suggest.suggestion import suggest_sites, tied_line


def test_a_tie_search_cut_short_says_at_least(demo_study, demo_routing):
    """No time for the search: the ties still counted are those swapping interchangeable candidates (the
    demo's candidate cells reaching the same uncovered units), and the line says « au moins »."""
    candidates, _ = build_candidates(demo_study, sources=[*DEFAULT_CANDIDATES, "cells"])
    quick = suggest_sites(demo_study, demo_routing, "maxcover", 2, 20.0, candidates=candidates, tie_search_s=0.0)
    assert quick.optimal and not quick.alternatives_complete
    assert quick.alternatives_count >= 1 and len(quick.alternatives) == min(5, quick.alternatives_count)
    assert "au moins" in tied_line(quick)


def test_the_app_bounds_the_tie_search_and_keeps_time_for_the_page(demo_study, demo_routing, monkeypatch):
    seen = {}

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return suggest_sites(*args, **kwargs)

    monkeypatch.setattr("access30.app.suggestions.suggest_sites", spy)
    question = Question("demo|drive", "cover", 1, 20.0, "population", (*DEFAULT_CANDIDATES, "cells"))
    suggestion, _ = answer(question, demo_study, demo_routing)
    assert seen["tie_search_s"] == TIE_SEARCH_S and suggestion.alternatives_count is not None
    assert seen["time_limit_s"] <= question.time_limit_s - PAGE_MARGIN_S  # « 60 s au plus » from the click
