"""Messages in the app's terms: every command-line option a message names becomes the control it matches."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import access30
from access30.base.errors import InputError
from access30.base.labels import OPTION_CONTROLS, for_app
from access30.coverage.capacity import site_capacity

PACKAGE = Path(access30.__file__).parent


def options_in_messages() -> set[str]:
    """Every ``--option`` written inside a French string of the package (the messages' options)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for literal in re.findall(r'"([^"\n]*--[a-z][^"\n]*)"', path.read_text(encoding="utf-8")):
            found.update(re.findall(r"(?<![\w-])--[a-z][a-z-]*", literal))
    return found


@pytest.mark.parametrize("option", sorted(set(OPTION_CONTROLS)))
def test_every_control_option_reads_as_its_control(option):
    """« --X », « --X VALEUR », « du fichier --X » and « option « --X » » never leave a flag, a placeholder or a
    doubled « le champ » in the app's words."""
    label = OPTION_CONTROLS[option]
    for text in (f"indiquez {option}", f"indiquez {option} FICHIER", f"donnez {option} COLONNE",
                 f"colonne du fichier {option}", f"option « {option} » : problème"):
        shown = for_app(text)
        assert "--" not in shown and label in shown, (text, shown)
        assert "FICHIER" not in shown and "COLONNE" not in shown and "le champ le champ" not in shown, (text, shown)
    assert for_app(f"colonne du fichier {option}") == f"colonne du fichier {label}"


def test_the_options_of_the_app_controls_are_known():
    """The options the messages name and the app has a control for are in OPTION_CONTROLS (the list is long
    enough to matter: it is found in the source)."""
    named = options_in_messages()
    assert {"--sites", "--population", "--capacity", "--threshold"} <= named
    assert {"--capacity", "--capacitated", "--sites", "--population-column"} <= set(OPTION_CONTROLS)


def test_sites_without_hours_in_app_terms():
    """The capacity by opening hours with no readable hours: the app's control and file, no flag, no doubled
    prefix (the message the app once showed as « champ concerné : le champ correspondant hours : … »)."""
    with pytest.raises(InputError) as caught:
        site_capacity(pd.DataFrame({"name": ["a", "b"]}), "hours")
    shown = for_app(caught.value)
    assert shown.startswith("champ « Capacité des lieux » : aucun des 2 lieux n'a d'horaires d'ouverture lisibles")
    assert "--" not in shown and "correspondant" not in shown and "hours" not in shown, shown
    assert "du fichier « Lieux d'accueil »" in shown
    assert for_app("--capacity hours") == "le champ « Capacité des lieux » : heures d'ouverture hebdomadaires"


def test_a_real_value_is_kept_and_a_placeholder_dropped():
    """« --sites-crs EPSG:2154 » and « --sites-builtin CCAS » keep their value; « --sites FICHIER » does not."""
    crs = "indiquez le champ « Coordonnées des lieux d'accueil » : EPSG:2154"
    assert for_app("indiquez --sites-crs EPSG:2154") == crs
    assert for_app("indiquez --sites-builtin CCAS") == "indiquez le champ « Listes nationales de lieux » : CCAS"
    assert for_app("indiquez --sites FICHIER") == "indiquez le champ « Lieux d'accueil »"
