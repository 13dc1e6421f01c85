"""Shipped inventories of first-reception places (``data/inventories/``).

Three tidy CSV files (``name,type,lon,lat,code_insee,source_id,hours_raw``) built from public git
repositories and described in ``data/README.md``: the CCAS of Martinique (972), the CCAS, one antenna
and three centres sociaux of La Réunion (974), and the 16 CDAS of the Finistère (29) with their
reception hours. A coordinate that was missing or wrong in the source is left empty, never guessed;
such rows are kept in :attr:`SourceResult.without_coordinates` with the reason given by
``qa_notes.csv`` (translated into French).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from access30.base.departements import normalise_departement
from access30.base.errors import InputError, Notice
from access30.base.fmt import plural
from access30.base.io import find_column, read_table
from access30.base.settings import data_path
from access30.inputs.sites import normalise_type
from access30.inputs.sources._common import SourceResult, make_records

#: Types of the inventory files → site types of :data:`access30.inputs.sites.SITE_TYPES`.
INVENTORY_TYPES = {
    "ccas": "ccas", "cias": "ccas", "mds": "polyvalence", "centre_social": "centre_social",
    "pimms": "pimms", "france_services": "france_services", "autre": "autre",
}
QA_NOTES = "inventories/qa_notes.csv"


@dataclass(frozen=True)
class Inventory:
    """A shipped inventory: file (relative to the data folder), description, date, sectorisation."""

    departement: str
    path: str
    label: str
    vintage: str
    sectors: str | None = None


#: The shipped inventories, by département (not to be confused with the registry of
#: :mod:`access30.inputs.inventories`, whose ``premier_accueil`` entry reads them).
SHIPPED: dict[str, Inventory] = {
    "972": Inventory(
        "972", "inventories/premier_accueil_972.csv",
        "Inventaire livré : CCAS de Martinique (ANCT, mednum-cli, hub mednum-hub-antilles ; géocodage BAN)",
        "fiches CCAS du 2023-04-19 (fichier présent jusqu'au 2023-05-24)"),
    "974": Inventory(
        "974", "inventories/premier_accueil_974.csv",
        "Inventaire livré : CCAS et centres sociaux de La Réunion (ANCT, mednum-cli, liste ultra-num "
        "et cnfs.json ; géocodage BAN)",
        "liste ultra-num de 2023-04-06 (toujours publiée le 2026-06-29) ; antenne CCAS de La Rivière : 2022"),
    "29": Inventory(
        "29", "inventories/cdas_29.csv",
        "Inventaire livré : CDAS du Finistère (beta.gouv annuaire-api ; coordonnées de l'annuaire DILA 2016 "
        "à la même adresse)",
        "fiches 2019-2020 (annuaire-api, 2021-10-01)", sectors="inventories/cdas_29_secteurs.csv"),
}

_OSM_DAYS = re.compile(r"\b(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)\b")
_FR_DAYS = re.compile(r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b", re.IGNORECASE)

# qa_notes.csv is written in English; users read French.
_QA_TRANSLATIONS = (
    (re.compile(r"^code_insee taken from the name \((\w+)\); source geocode citycode=(\w+)$"),
     r"code commune déduit du nom (\1) ; le géocodage de la source le plaçait en \2"),
    (re.compile(r"^coordinates dropped \(outside (\w+) / wrong geocode\): lat=([-\d.]+) lon=([-\d.]+)$"),
     r"coordonnées de la source écartées (hors du \1, géocodage erroné : lat=\2 lon=\3)"),
    (re.compile(r"^no coordinates in source$"), "pas de coordonnées dans la source"),
    (re.compile(r"^coordinates borrowed from DILA-2016 record (\S+) \('(.*)'\) at the same street address$"),
     r"coordonnées reprises de la fiche DILA 2016 \1 (« \2 ») à la même adresse"),
)


def translate_qa_note(issue: str) -> str:
    """French text of a ``qa_notes.csv`` issue (the original, labelled, when no pattern matches)."""
    for pattern, french in _QA_TRANSLATIONS:
        if pattern.match(issue.strip()):
            return pattern.sub(french, issue.strip())
    return f"note de contrôle : {issue.strip()}"


def read_qa_notes(path: str | Path) -> pd.DataFrame:
    """``qa_notes.csv`` with a French ``note`` column added (``dep, source_id, issue, note``)."""
    notes = read_table(path)
    for column in ("dep", "source_id", "issue"):
        find_column(notes, [column], path, column)
    return notes.assign(note=notes["issue"].map(translate_qa_note))


def hours_format_of(text: str) -> str:
    """``"fr_text"`` for French text (« lundi-vendredi 9h-12h »), ``"osm"`` for the OpenStreetMap
    syntax (``Mo-Fr 08:00-12:00``), ``""`` when empty."""
    text = str(text or "").strip()
    if not text:
        return ""
    if _FR_DAYS.search(text):
        return "fr_text"
    return "osm" if _OSM_DAYS.search(text) else "fr_text"


def site_id_of(source_id: str) -> str:
    """Stable site id from a source id: the file stem for path-like ids
    (``annuaire-api:data/29/cdas_brest_bellevue.yaml`` → ``cdas_brest_bellevue``, the id used by the
    sectorisation), else ``prefix-id`` (``mednum-hub-antilles:Structure-82`` →
    ``mednum-hub-antilles-Structure-82``)."""
    prefix, _, local = str(source_id).partition(":")
    if "/" in local:
        return Path(local).stem
    return f"{prefix}-{local}" if local else prefix


def read_inventory(path: str | Path, qa_notes: str | Path | None = None, label: str = "",
                   vintage: str = "", departement: str | None = None) -> SourceResult:
    """Read an inventory file in the shipped format into records.

    Parameters
    ----------
    path : str or Path
        CSV with ``name, type, lon, lat, code_insee, source_id`` and optionally ``hours_raw``
        (French text or OpenStreetMap syntax, detected per row).
    qa_notes : str or Path, optional
        ``qa_notes.csv``: its notes give the reason of each missing coordinate and flag borrowed ones.
    label, vintage : str
        Description and date of the file, for reports.
    departement : str, optional
        Keep only the notes of this département.

    Returns
    -------
    SourceResult
        Key ``inventaire``; rows without coordinates kept, with their reason.

    Raises
    ------
    InputError
        Missing columns, empty names, unknown types or duplicated source ids.
    """
    path = Path(path)
    frame = read_table(path, what="lieux")
    for column in ("name", "type", "lon", "lat", "code_insee", "source_id"):
        find_column(frame, [column], path, column)
    names = frame["name"].str.strip()
    if (names == "").any():
        row = int(np.flatnonzero((names == "").to_numpy())[0])
        raise InputError("nom vide", "donnez un nom à chaque lieu", path=path, row=row + 1, column="name")
    raw_types = frame["type"].str.strip().str.lower()
    types = raw_types.map(INVENTORY_TYPES).fillna(raw_types.map(normalise_type))
    if types.isna().any():
        row = int(np.flatnonzero(types.isna().to_numpy())[0])
        raise InputError(f"type « {frame['type'].iloc[row]} » inconnu",
                         f"types reconnus : {', '.join(INVENTORY_TYPES)}", path=path, row=row + 1, column="type")
    duplicated = frame["source_id"].duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(f"identifiant « {frame['source_id'].iloc[row]} » en double",
                         "chaque lieu doit avoir un identifiant unique", path=path, row=row + 1, column="source_id")
    hours = (frame["hours_raw"].fillna("").str.strip() if "hours_raw" in frame.columns
             else pd.Series("", index=frame.index))
    notes_by_id: dict[str, list[str]] = {}
    if qa_notes is not None:
        notes = read_qa_notes(qa_notes)
        if departement:
            notes = notes[notes["dep"] == departement]
        for source_id, note in zip(notes["source_id"], notes["note"]):
            notes_by_id.setdefault(source_id, []).append(note)
    qa = frame["source_id"].map(lambda s: " ; ".join(notes_by_id.get(s, [])))
    lon = pd.to_numeric(frame["lon"].str.strip().replace("", np.nan), errors="coerce")
    lat = pd.to_numeric(frame["lat"].str.strip().replace("", np.nan), errors="coerce")
    bad_number = (frame["lon"].str.strip() != "") & lon.isna() | (frame["lat"].str.strip() != "") & lat.isna()
    if bad_number.any():
        row = int(np.flatnonzero(bad_number.to_numpy())[0])
        raise InputError("coordonnée non numérique", "corrigez la ligne ou videz ses coordonnées",
                         path=path, row=row + 1, column="lon")
    located = lon.notna() & lat.notna()
    reasons = np.where(located, "", np.where(qa != "", qa, "pas de coordonnées dans la source"))
    label = label or f"Inventaire {path.name}"
    records = make_records({
        "site_id": frame["source_id"].map(site_id_of).to_numpy(),
        "name": names.to_numpy(),
        "type": types.to_numpy(),
        "commune": frame["code_insee"].str.strip().to_numpy(),
        "address": "",
        "hours": hours.to_numpy(),
        "hours_format": hours.map(hours_format_of).to_numpy(),
        "source": label,
        "siret": "",
        "source_ids": ("inventaire:" + frame["source_id"]).to_numpy(),
        "vintage": vintage,
        "qa_note": np.where(located, qa, "").astype(object),
    }, lon.to_numpy(), lat.to_numpy(), "inventaire", missing_reason=reasons)
    notices = []
    borrowed = records["qa_note"].str.contains("reprises de la fiche", regex=False)
    if borrowed.any():
        notices.append(Notice("coordinates_borrowed",
                              plural(int(borrowed.sum()), f"lieu de {path.name} placé",
                                     f"lieux de {path.name} placés") + " aux coordonnées d'une autre fiche "
                              "DILA (2016) à la même adresse postale", count=int(borrowed.sum()),
                              details=records.loc[borrowed, "name"].tolist()))
    missing = records.geometry.isna()
    if missing.any():
        notices.append(Notice("sans_coordonnees",
                              plural(int(missing.sum()),
                                     f"lieu de {path.name} sans coordonnées, gardé à part (non placé sur la carte)",
                                     f"lieux de {path.name} sans coordonnées, gardés à part (non placés sur la carte)")
                              + " : " + ", ".join(records.loc[missing, "name"]),
                              count=int(missing.sum()), details=records.loc[missing, "name"].tolist()))
    return SourceResult("inventaire", label, records, vintage=vintage, notices=notices)


def load_inventory(departement: str) -> SourceResult | None:
    """The shipped inventory of a département (972, 974, 29), or None when there is none.

    Files are read from the data folder (``$ACCESS30_DATA`` or the project's ``data/``).
    """
    code = normalise_departement(departement)
    inventory = SHIPPED.get(code)
    if inventory is None:
        return None
    return read_inventory(data_path(inventory.path), qa_notes=data_path(QA_NOTES), label=inventory.label,
                          vintage=inventory.vintage, departement=code)
