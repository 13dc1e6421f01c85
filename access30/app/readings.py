"""When the reading shown has no *zone blanche*: say it plainly, and which readings show some.

On the demo territory everyone is within 30 minutes by car (a partial network of main roads and
commune populations spread evenly: see the README). The page then says so above the figures, and
points to the readings where people remain far from a reception point: a shorter threshold (with
its figure, read from the times already computed: :func:`access30.coverage.rules.shorter_threshold_beyond`),
on foot, or only the sites open at the hours of people in work. The Suggestions tab says the same
instead of an empty list.
"""

from __future__ import annotations

from access30.base.fmt import fmt_int, fmt_num
from access30.base.labels import LENS_LABELS_FR
from access30.coverage.options import NEAREST, SECTORS, WORKERS
from access30.coverage.result import CoverageResult
from access30.coverage.rules import shorter_threshold_beyond
from access30.network.modes import mode_words


def nobody_beyond(result: CoverageResult) -> bool:
    """Whether everyone counted is covered (less than half a person beyond the threshold or off road)."""
    s = result.summary
    return s.population_uncovered + s.population_no_road < 0.5


def other_readings(result: CoverageResult, threshold_min: float, mode: str, lens_kind: str = NEAREST) -> str:
    """« Des zones blanches apparaissent à un seuil plus court (à 25 min : 600 habitants au-delà). Essayez
    aussi … » for a result where nobody is beyond the threshold; "" when there is nothing to point to."""
    parts = []
    found = shorter_threshold_beyond(result.units, threshold_min)
    if found is not None:
        shorter, beyond = found
        parts.append(f"Des zones blanches apparaissent à un seuil plus court (à {fmt_num(shorter)} min : "
                     f"{fmt_int(beyond)} habitant{'s' if beyond >= 1.5 else ''} au-delà).")
    tries = []
    if mode != "walk":
        tries.append("à pied (« Mode de déplacement »)")
    if lens_kind != WORKERS:
        tries.append(f"avec les seuls lieux ouverts aux heures des actifs (« {LENS_LABELS_FR[WORKERS]} »)")
    if tries:
        parts.append("Essayez aussi la lecture " + " ou ".join(tries) + ".")
    return " ".join(parts)


def everyone_covered(result: CoverageResult, threshold_min: float, mode: str, lens_kind: str = NEAREST) -> str | None:
    """The line shown under the figures when everyone counted is covered (None otherwise): said plainly, with
    the readings that show zones blanches (:func:`other_readings`). Not with the sectors lens: its figures are
    the nearest site's, and its own banner says how many are far from their sector's site.

    Examples
    --------
    >>> from access30.coverage.engine import evaluate, route
    >>> from access30.inputs.assemble import load_study
    >>> study = load_study()
    >>> print(everyone_covered(evaluate(study, route(study), 30.0), 30.0, "drive"))  # doctest: +NORMALIZE_WHITESPACE
    Tous les habitants comptés (154\u202f995) sont à 30 min ou moins en voiture d'un lieu d'accueil : aucune zone
    blanche à ce seuil. Des zones blanches apparaissent à un seuil plus court (à 25 min : 600 habitants au-delà).
    Essayez aussi la lecture à pied (« Mode de déplacement ») ou avec les seuls lieux ouverts aux heures des actifs
    (« Lieux ouverts aux heures des actifs »).
    """
    if lens_kind == SECTORS or not nobody_beyond(result):
        return None
    s = result.summary
    line = (f"Tous les habitants comptés ({fmt_int(s.population_total)}) sont à {fmt_num(threshold_min)} min ou "
            f"moins {mode_words(mode)} d'un lieu d'accueil : aucune zone blanche à ce seuil.")
    more = other_readings(result, threshold_min, mode, lens_kind)
    return f"{line} {more}" if more else line


def nothing_to_suggest(result: CoverageResult, threshold_min: float, mode: str) -> str | None:
    """The Suggestions tab's message when nobody is beyond the threshold (None otherwise): no place can cover
    anyone more; the mean time can still be lowered; the readings that show zones blanches."""
    if not nobody_beyond(result):
        return None
    line = (f"Personne n'est au-delà de {fmt_num(threshold_min)} min {mode_words(mode)} : aucun nouveau lieu ne "
            "couvrirait un habitant de plus, les objectifs « couverture maximale » et « couverture totale » n'ont "
            "rien à proposer. L'objectif « temps moyen minimal » cherche encore où rapprocher les habitants d'un "
            "lieu d'accueil.")
    more = other_readings(result, threshold_min, mode)
    return f"{line} {more}" if more else line
