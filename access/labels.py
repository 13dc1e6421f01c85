"""French labels of the interface, defined once: options and the app's controls.

The command line names its options (``--population-column``); the app has French controls for the
same things. Messages are written once, in the command line's terms, and :func:`for_app` rewrites
every option they name as the matching control, so that an app user is never sent to a flag.
"""

from __future__ import annotations

import re

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
    "--out": "« Export »",
    "--out-dir": "« Export »",
    "--summary": "« Export »",
    "--cache-dir": "« Réseau routier (.osm.pbf) »",
}
_OPTION = re.compile(r"--[a-z][a-z-]*(?:\s+(?=[A-Z0-9])[A-Za-z0-9_.:,]+)?")


def for_app(message) -> str:
    """A message (or an error) with every command-line option replaced by the app control it matches.

    ``--sites-crs EPSG:2154`` becomes « Coordonnées des lieux d'accueil » : EPSG:2154;
    ``option « --threshold »`` becomes the control « Seuil de temps d'accès ».
    """
    text = str(message)
    text = re.sub(r"option « (--[a-z-]+) »", lambda m: "champ " + OPTION_CONTROLS.get(m.group(1), "concerné"), text)

    def control(match: re.Match) -> str:
        flag, _, value = match.group(0).partition(" ")
        label = OPTION_CONTROLS.get(flag.strip())
        if label is None:
            return "le champ correspondant"
        return f"le champ {label}" + (f" : {value.strip()}" if value.strip() and value.strip() != "FICHIER" else "")

    return _OPTION.sub(control, text)
