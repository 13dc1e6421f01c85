"""The walk-in lens (« accueil sans rendez-vous »): coverage counting only the hours sites receive without appointment.

The first-reception networks must receive with and without appointment. A user's site list may
give, besides the opening hours, the walk-in hours (a ``horaires_sans_rdv`` column, read into
``walk_in_hours`` by :func:`access30.inputs.sites.read_sites`). Under this lens those hours replace
the opening hours (:func:`walk_in_study`), so that every reading of hours works on them: the
moment (``at``), the hours open to people at work, the wait (:mod:`access30.coverage.wait`); on its
own (:func:`coverage_walk_in`) the lens counts the sites that receive without appointment at some
moment of the four-week cycle.

A site without walk-in hours (no such column, an empty cell, every built-in site) is assumed to
receive without appointment whenever it is open — first reception is unconditional, and walk-in
reception is the rule the texts set —: its opening hours stand for its walk-in hours, and a notice
says how many sites were read so (with, on its own, the share covered if they received by
appointment only). A cell « sur rendez-vous uniquement » (or « aucun ») means no walk-in reception:
the site never counts; an unreadable one is refused when the list is read.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_pct, plural
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.hours import coverage_when
from access30.coverage.result import CoverageResult, Routing
from access30.inputs.hours import STATUS_KNOWN, WALK_IN_FORMAT, WALK_IN_HOURS, walk_in_format, walk_in_hours
from access30.inputs.study import Study

#: How the lens is named in the figures it changes.
WALK_IN_WHAT = "sans rendez-vous"


def walk_in_study(study: Study) -> tuple[Study, np.ndarray]:
    """The study whose sites' hours are their walk-in hours (same sites, same order: a routing stays valid).

    Returns
    -------
    study : Study
        ``hours``/``hours_format`` replaced where a walk-in value is given.
    assumed : ndarray of bool
        Sites whose opening hours stand for their walk-in hours (no walk-in value).
    """
    sites = study.sites
    _, assumed = walk_in_hours(sites)
    if assumed.all():
        return study, assumed
    texts = sites[WALK_IN_HOURS].astype(object).where(sites[WALK_IN_HOURS].notna(), "").astype(str).to_numpy()
    formats = (sites[WALK_IN_FORMAT].astype(object).where(sites[WALK_IN_FORMAT].notna(), "").astype(str).to_numpy()
               if WALK_IN_FORMAT in sites.columns else np.full(len(sites), "", dtype=object))
    formats = np.array([f or walk_in_format(t) for t, f in zip(texts, formats)], dtype=object)
    given = ~assumed
    hours = sites["hours"].astype(object).to_numpy().copy()
    kinds = sites["hours_format"].astype(object).to_numpy().copy()
    hours[given], kinds[given] = texts[given], formats[given]
    return replace(study, sites=sites.assign(hours=hours, hours_format=kinds)), assumed


def walk_in_available(study: Study) -> np.ndarray:
    """Per site: True when it receives without appointment at some moment of the cycle, False when
    never (« sur rendez-vous uniquement »), None when its (walk-in or opening) hours are unknown."""
    parsed, _ = walk_in_hours(study.sites)
    out = np.full(len(parsed), None, dtype=object)
    for i, p in enumerate(parsed):
        if p.status == STATUS_KNOWN:
            out[i] = bool(p.hours.cycle_intervals().size)
    return out


def require_walk_in_hours(study: Study) -> None:
    """Refuse the walk-in lens when no site has readable hours, walk-in or opening (every figure would be
    about the file, not the territory).

    Raises
    ------
    InputError
        Naming ``--walk-in``, the columns to add and the fix.
    """
    available = walk_in_available(study)
    if len(available) and all(a is None for a in available):
        raise InputError(f"aucun lieu d'accueil n'a d'horaires lisibles, ni d'accueil sans rendez-vous ni "
                         f"d'ouverture ({plural(len(available), 'lieu lu', 'lieux lus')}) : l'accueil sans rendez-vous "
                         "ne peut pas être compté",
                         "ajoutez au fichier des lieux une colonne « horaires_sans_rdv » (par ex. « mardi 9h-12h » ou "
                         "« Tu 09:00-12:00 ») ou « horaires », ou retirez --walk-in", column="--walk-in")


def assumed_notice(assumed: np.ndarray, lower: float | None = None, share: float | None = None) -> Notice | None:
    """The notice of the sites whose opening hours stood for walk-in hours (None when there are none)."""
    n = int(assumed.sum())
    if not n:
        return None
    text = (f"{plural(n, 'lieu sans horaires', 'lieux sans horaires')} d'accueil sans rendez-vous (colonne "
            "« horaires_sans_rdv » absente ou vide) : leurs horaires d'ouverture sont comptés comme horaires "
            "sans rendez-vous")
    if lower is not None and share is not None:
        text += (f" ; s'ils ne recevaient que sur rendez-vous, la part de la population couverte passerait de "
                 f"{fmt_pct(share)} à {fmt_pct(lower)}")
    return Notice("walk_in_assumed", text + ".", count=n)


def mark_walk_in(result: CoverageResult, assumed: np.ndarray, notice: Notice | None = None) -> CoverageResult:
    """A lens result marked as counting walk-in hours only (summary flag, count assumed, notice)."""
    hours = result.summary.hours
    if hours is not None:
        result = replace(result, summary=replace(result.summary, hours=replace(
            hours, walk_in=True, sites_walk_in_assumed=int(assumed.sum()))))
    notice = notice if notice is not None else assumed_notice(assumed)
    if notice is not None:
        result.notices.append(notice)
    return result


def coverage_walk_in(study: Study, routing: Routing | None,
                     threshold_min: float = DEFAULT_THRESHOLD_MIN) -> CoverageResult:
    """Coverage by the sites that receive without appointment at some moment of the four-week cycle.

    Parameters
    ----------
    study : Study
        The study as assembled (its sites' own hours; the walk-in hours are read here).
    routing : Routing or None
        ``route(study)`` on the full site list (its joins are reused), or None.
    threshold_min : float

    Returns
    -------
    CoverageResult
        As :func:`access30.coverage.hours.coverage_when`, ``summary.hours.walk_in`` set; a notice
        says how many sites had their opening hours counted as walk-in hours.

    Examples
    --------
    >>> from access30 import StudyRequest, assemble_study
    >>> study = assemble_study(StudyRequest(territory="st-brieuc-loudeac"))
    >>> result = coverage_walk_in(study, None, 30)
    >>> result.summary.hours.walk_in, result.summary.hours.sites_walk_in_assumed == len(study.sites)
    (True, True)
    """
    walk, assumed = walk_in_study(study)
    available = walk_in_available(study)
    what = f"{WALK_IN_WHAT} (à un moment au moins du cycle de quatre semaines)"
    result = coverage_when(walk, routing, available, what, threshold_min)
    lower = None
    if assumed.any():
        strict = np.where(assumed, False, available)
        lower = (coverage_when(walk, routing, strict, WALK_IN_WHAT, threshold_min).summary.share_covered
                 if any(a is True for a in strict) else 0.0)
    return mark_walk_in(result, assumed, assumed_notice(assumed, lower, result.summary.share_covered))
