"""French labels of the interface, defined once: options and the app's controls, codes' words.

The command line names its options (``--population-column``); the app has French controls for the
same things. Messages are written once, in the command line's terms, and :func:`for_app` rewrites
every option they name as the matching control, so that an app user is never sent to a flag.
"""

from __future__ import annotations

import re

import pandas as pd

from access30.base.fmt import plural

#: Command-line option → the app control that sets the same thing.
OPTION_CONTROLS: dict[str, str] = {
    "--territory": "« Territoire »",
    "--departement": "« Code du département »",
    "--network": "« Réseau routier (.osm.pbf) »",
    "--partial-network": "« Réseau partiel (routes principales seulement) »",
    "--population": "« Population »",
    "--population-column": "« Colonne de population »",
    "--population-crs": "« Coordonnées de la population »",
    "--demand": "« Population »",
    "--sites": "« Lieux d'accueil »",
    "--sites-crs": "« Coordonnées des lieux d'accueil »",
    "--sites-builtin": "« Listes nationales de lieux »",
    "--communes": "« Contours des communes »",
    "--mode": "« Mode de déplacement »",
    "--max-access-m": "« Distance maximale à une route (m) »",
    "--threshold": "« Seuil de temps d'accès »",
    "--candidates": "« Emplacements candidats »",
    "--candidates-crs": "« Emplacements candidats »",
    "--k": "« Nombre de nouveaux lieux »",
    "--model": "« Objectif »",
    "--weight": "« Public pris en compte »",
    "--max-cells": "« Emplacements candidats »",
    "--at": "« Moment »",
    "--workers-hours": "« Moment »",
    "--out": "« Export »",
    "--out-dir": "« Export »",
    "--summary": "« Export »",
    "--cache-dir": "« Réseau routier (.osm.pbf) »",
    "--capacity": "« Capacité des lieux »",
    "--capacitated": "« Tenir compte de la capacité des lieux »",
    "--gtfs": "« Flux d'horaires GTFS (.zip) »",
    "--date": "« Date (AAAA-MM-JJ, facultatif) »",
    "--service-date": "« Date (AAAA-MM-JJ, facultatif) »",
    "--window": "« Fenêtre de départs (minutes) »",
    "--sectors": "« Sectorisation (code_insee, site_id), facultatif »",
    "--walk-in": "« Lecture des lieux »",
    "--half-days": "« Demi-journées par semaine »",
    "--stop-hours": "« Durée d'un arrêt (h) »",
    "--max-drive-min": "« Route depuis la base (min, au plus) »",
    "--weeks": "« Rythme »",
}
#: An option's value in a message → what the app's control shows for it.
OPTION_VALUES: dict[tuple[str, str], str] = {("--capacity", "hours"): "heures d'ouverture hebdomadaires"}
_OPTION = re.compile(r"--[a-z][a-z-]*(?:\s+(?:(?=[A-Z0-9])[A-Za-z0-9_.:,]+|hours\b))?")
#: What stands for a value in the command line's syntax (« --sites FICHIER »): not a value to show.
PLACEHOLDERS = frozenset({"FICHIER", "COLONNE", "COLUMN", "CODE", "IDENTIFIANT", "EPSG", "LON", "LAT", "MIN", "N"})
#: « du fichier --sites »: the file a control loads (« du fichier « Lieux d'accueil » »), not a field.
_FILE_OF = re.compile(r"fichier (--[a-z][a-z-]*)(?:\s+FICHIER\b)?")
#: « FICHIER:couche » picks a layer or sheet on the command line; an upload cannot carry it.
_LAYER_SUFFIX = re.compile(r"(?:écrivez le nom exact de la|indiquez la) (feuille|couche)(?: à lire)? après le nom du "
                           r"fichier et deux-points, par ex\. [^\s;)]+")
_OTHER_SHEET = re.compile(r"pour en lire une autre, écrivez [^\s;)]+")


def for_app(message) -> str:
    """A message (or an error) with every command-line option replaced by the app control it matches.

    ``--sites-crs EPSG:2154`` becomes « Coordonnées des lieux d'accueil » : EPSG:2154;
    ``option « --threshold »`` becomes the control « Seuil de temps d'accès ».
    """
    text = str(message)
    text = _LAYER_SUFFIX.sub(lambda m: f"chargez un fichier qui ne contient que la {m.group(1)} voulue (enregistrez-la "
                             "seule depuis votre tableur ou votre SIG)", text)
    text = _OTHER_SHEET.sub("pour en lire une autre, chargez un classeur qui ne contient qu'elle", text)
    text = re.sub(r"option « (--[a-z-]+) »", lambda m: "champ " + OPTION_CONTROLS.get(m.group(1), "concerné"), text)
    text = _FILE_OF.sub(lambda m: "fichier " + OPTION_CONTROLS.get(m.group(1), "chargé"), text)

    def control(match: re.Match) -> str:
        flag, _, value = match.group(0).partition(" ")
        flag, value = flag.strip(), value.strip()
        label = OPTION_CONTROLS.get(flag)
        if label is None:
            return "le champ correspondant"
        value = OPTION_VALUES.get((flag, value), value)
        return f"le champ {label}" + (f" : {value}" if value and value not in PLACEHOLDERS else "")

    return _OPTION.sub(control, text)

#: Location model (:data:`access30.suggest.suggestion.MODELS`) → its French name.
MODEL_LABELS_FR: dict[str, str] = {
    "cover": "couverture totale (nombre minimal de lieux)",
    "maxcover": "couverture maximale (k lieux)",
    "median": "temps moyen minimal (p-médian, k lieux)",
}

#: Lens (:data:`access30.coverage.options.LENSES`) → its French name in the app.
LENS_LABELS_FR: dict[str, str] = {
    "nearest": "Lieu le plus proche, à toute heure",
    "moment": "Lieux ouverts à un moment de la semaine",
    "workers": "Lieux ouverts aux heures des actifs",
    "walk_in": "Accueil sans rendez-vous",
    "sectors": "Lieu du secteur (sectorisation)",
}

#: Site type → (one, several), to write counts: « 28 mairies (indicateurs de CCAS), 6 France Services ».
SITE_TYPE_NOUNS: dict[str, tuple[str, str]] = {
    "polyvalence": ("service social départemental", "services sociaux départementaux"),
    "ccas": ("CCAS/CIAS", "CCAS/CIAS"),
    "centre_social": ("centre social", "centres sociaux"),
    "france_services": ("France Services", "France Services"),
    "pimms": ("PIMMS", "PIMMS"),
    "association": ("association", "associations"),
    "mairie": ("mairie (indicateur de CCAS)", "mairies (indicateurs de CCAS)"),
    "hors_les_murs": ("point mobile « hors les murs »", "points mobiles « hors les murs »"),
    "autre": ("autre lieu d'accueil", "autres lieux d'accueil"),
}


def count_of(count: int, site_type: str) -> str:
    """« 28 mairies (indicateurs de CCAS) », « 1 France Services »."""
    one, several = SITE_TYPE_NOUNS.get(site_type, (site_type, site_type))
    return f"{count} {one if abs(count) < 2 else several}"


def sites_by_type(counts: dict[str, int]) -> str:
    """« 28 mairies (indicateurs de CCAS), 6 France Services », most numerous first."""
    return ", ".join(count_of(n, t) for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


#: What a demand unit is, by the kind of population (:class:`access30.inputs.population.Demand`).
UNIT_NOUNS: dict[str, tuple[str, str]] = {
    "grid": ("carreau", "carreaux"),
    # A modelled grid's cell on a commune border is one unit per commune: the piece inside each.
    "modelled_grid": ("carreau ou morceau de carreau (modélisé)", "carreaux ou morceaux de carreaux (modélisés)"),
    "points": ("point de population", "points de population"),
    "polygons": ("zone", "zones"),
}


def units_of(count: int, kind: str) -> str:
    """« 27 354 carreaux ou morceaux de carreaux (modélisés) », « 42 points de population »."""
    return plural(count, *UNIT_NOUNS.get(kind, ("unité", "unités")))


def sites_counted(summary: dict, added: int = 0) -> str:
    """« 35 lieux d'accueil pris en compte (dont 1 hypothétique ; dont 2 loin de toute route, atteints
    seulement en ligne droite) ».

    The same count everywhere (headline, report, tables): every site of the study; those too far
    from any road to join the network (reached only straight, from within the access distance) are
    said apart, and a scenario's hypothetical ones among them.
    """
    counted = int(summary.sites_total)
    far = counted - int(summary.sites_on_network)
    parts = []
    if added:
        parts.append(f"dont {added} hypothétique{'s' if added > 1 else ''}")
    if far:
        parts.append(f"dont {far} loin de toute route, atteint{'s' if far > 1 else ''} seulement en ligne droite")
    noun = "lieu d'accueil pris en compte" if counted == 1 else "lieux d'accueil pris en compte"
    return f"{counted} {noun}" + (f" ({' ; '.join(parts)})" if parts else "")


#: French names of the equity groups (codes: :data:`access30.inputs.population.EQUITY_COLUMNS`).
EQUITY_LABELS_FR = {
    "population": "Population",
    "households": "Ménages",
    "poor_households": "Ménages pauvres",
    "single_parent_households": "Familles monoparentales",
    "elderly_65p": "Personnes de 65 ans et plus",
    "single_person_households": "Ménages d'une personne",
}


#: French words of a demand unit's status (codes: :data:`access30.coverage.rules.STATUS_COVERED`…).
STATUS_LABELS_FR: dict[str, str] = {"covered": "couvert", "uncovered": "non couvert", "no_road": "sans accès routier"}


def status_label(status) -> object:
    """The French words of status codes (one code, or an array or Series of them)."""
    if isinstance(status, str):
        return STATUS_LABELS_FR.get(status, status)
    return pd.Series(status).map(lambda code: STATUS_LABELS_FR.get(code, code)).to_numpy(dtype=object)

#: How often residents find a reception point open within reach (codes of :mod:`access30.coverage.wait`).
WAIT_FREQUENCY_LABELS_FR: dict[str, str] = {
    "weekly": "une ouverture chaque semaine",
    "fortnightly": "une ouverture toutes les deux semaines",
    "less_often": "moins souvent",
    "never": "jamais (lieux à portée fermés sur tout le cycle)",
    "unknown": "horaires inconnus",
}

#: The half-days of a round (codes of :mod:`access30.locate.tour`).
HALF_DAY_LABELS_FR: dict[str, str] = {"am": "matin", "pm": "après-midi"}
