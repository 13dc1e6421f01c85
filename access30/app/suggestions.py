"""Location models for the app: run in the background, with a progress line, shared by key.

A suggestion can take up to its stated limit (:data:`TIME_LIMIT_S`, the whole request included:
candidates, travel times, model, description of the chosen sites). It runs as a job of
:data:`access30.app.jobs.SUGGESTIONS`, so that the page stays usable meanwhile; the job's progress
line says where the search is (best solution so far and its proven gap), and two planners asking
the same question share the job.

A suggestion is computed on the situation shown: with a scenario displayed, on its sites added and
closed (as :func:`access30.suggest.run.run_suggestion` with a scenario: :func:`access30.suggest.run.situation`),
and it says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from access30.app.jobs import SUGGESTIONS, Job
from access30.base.labels import MODEL_LABELS_FR
from access30.coverage.capacity import site_capacity
from access30.coverage.options import HOURS
from access30.coverage.result import Routing
from access30.coverage.scenario import apply_changes
from access30.inputs.study import Study
from access30.locate.alternatives import TIE_SEARCH_S
from access30.suggest.candidates import build_candidates
from access30.suggest.capacitated import suggest_capacitated
from access30.suggest.run import said_on_scenario, situation
from access30.suggest.suggestion import reserve_s, suggest_sites

#: The limit stated to the planner, for the whole request.
TIME_LIMIT_S = 60.0
#: Seconds kept out of the limit for the page to show the answer (its next rerun, on a busy server): six
#: planners at once on two cores saw a p-median 64.5 s after the click when the model had the whole limit.
PAGE_MARGIN_S = 5.0


@dataclass(frozen=True)
class Question:
    """What the planner asked (hashable: the job's key).

    Attributes
    ----------
    study_key : str
    model : str
        ``maxcover``, ``cover`` or ``median``.
    k : int
    threshold : float
    weight : str
        ``population`` or an equity column.
    sources : tuple of str
        Candidate sources.
    capacitated : bool
        Site capacities (weekly opening hours) respected.
    time_limit_s : float
    changes : tuple
        The changes of the scenario shown (``("add", lon, lat, name, type)``, ``("close", site_id)``); empty for
        the current situation.
    scenario : str
        The scenario's name ("" for the current situation).
    """

    study_key: str
    model: str
    k: int
    threshold: float
    weight: str
    sources: tuple
    capacitated: bool = False
    time_limit_s: float = TIME_LIMIT_S
    changes: tuple = ()
    scenario: str = ""

    @property
    def label(self) -> str:
        """The model in French (« couverture maximale (k lieux) », with « avec capacités » when so)."""
        return MODEL_LABELS_FR.get(self.model, self.model) + (" avec capacités" if self.capacitated else "")

    @property
    def situation_label(self) -> str:
        """The situation the suggestion reads, in French (:func:`situation_label`)."""
        return situation_label(self.changes, self.scenario)


def situation_label(changes: tuple, scenario: str) -> str:
    """« la situation actuelle », or « le scénario « X » » when there are changes.

    Examples
    --------
    >>> situation_label((), ""), situation_label((("close", "s1"),), "Sans Uzel")
    ('la situation actuelle', 'le scénario « Sans Uzel »')
    """
    return f"le scénario « {scenario or 'sans nom'} »" if changes else "la situation actuelle"


def answer(question: Question, study: Study, routing: Routing, progress=None, since: float | None = None):
    """Candidates then the model: ``(Suggestion, notices)`` (the CLI's ``suggest`` on the app's choices), on the
    situation the question was asked on (a scenario's changes replayed on ``study`` and ``routing``).

    The whole answer fits in ``question.time_limit_s`` counted from ``since`` (``time.perf_counter()``
    when the planner asked, so that a wait for a free thread counts too; now by default): the model
    gets what the wait, the candidates and :data:`PAGE_MARGIN_S` left. ``progress`` receives French lines (the
    step, then the best solution so far and its gap).
    """
    started = time.perf_counter() if since is None else since
    say = progress or (lambda line: None)
    if question.changes:
        say(f"Scénario « {question.scenario} » : lieux ajoutés et fermés…")
        study, routing = situation(study, routing, apply_changes(study, routing, question.changes))
    sources = question.sources
    if question.capacitated:  # the capacitated model assigns every unit: listed places only, not cells
        sources = tuple(source for source in sources if source != "cells") or sources
    say("Emplacements candidats…")
    candidates, notices = build_candidates(study, sources=list(sources))
    margin = min(PAGE_MARGIN_S, 0.1 * question.time_limit_s)
    left = max(question.time_limit_s - margin - (time.perf_counter() - started), 1.0)
    if question.capacitated:
        say("Modèle avec capacités : recherche de la meilleure solution…")
        suggestion = suggest_capacitated(study, routing, question.model, question.k,
                                         site_capacity(study.sites, HOURS), question.threshold, candidates=candidates,
                                         time_limit_s=left - reserve_s(question.time_limit_s),
                                         tie_search_s=TIE_SEARCH_S)
    else:
        suggestion = suggest_sites(study, routing, question.model, question.k, question.threshold,
                                   candidates=candidates, weight=question.weight, time_limit_s=left,
                                   progress=progress, tie_search_s=TIE_SEARCH_S)
    if question.changes:
        said_on_scenario(suggestion, question.scenario)
    return suggestion, notices


def start(question: Question, study: Study, routing: Routing) -> Job:
    """Start (or find) the background job answering ``question``."""
    return SUGGESTIONS.submit(("suggest", question), question.label,
                              lambda job: answer(question, study, routing, progress=job.report, since=job.queued))
