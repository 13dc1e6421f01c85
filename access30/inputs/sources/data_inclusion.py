"""data·inclusion structures export (data.gouv.fr dataset ``6233723c2c1e4a54af2f6b2d``, weekly,
Licence Ouverte 2.0).

data·inclusion gathers the places of social and professional inclusion from many upstream sources
(Dora, Soliguide, the France Services list, departmental directories…) into one schema. Two schema
generations are read, detected from the columns:

* **v1**: ``source, id, nom, siret, code_insee, longitude, latitude, horaires_accueil,
  reseaux_porteurs`` (a list of network codes); the networks kept are :data:`V1_NETWORKS`.
* **v0**: ``typologie`` (one code) and ``horaires_ouverture``; the codes kept are :data:`V0_TYPES`.

Hours are in the OpenStreetMap syntax (format ``osm`` of :mod:`access30.inputs.hours`). The same structure
may come from two upstream sources: each record's ``source_key`` is ``data_inclusion:<source>`` so
that :func:`access30.inputs.sources.merge.merge_sources` can merge them.

On first use the dataset description is read from the data.gouv.fr API, the « structures » resource
(Parquet preferred, else CSV) is downloaded into the user cache (:func:`data_inclusion_file`, through
:func:`access30.base.cache.ensure`: progress, resume, checks, mirror, recorded in the manifest) and
split into one Parquet file per département; later calls work offline.
"""

from __future__ import annotations

import ast
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from access30.base.cache import ensure, lookup
from access30.base.departements import normalise_departement
from access30.base.errors import InputError, Notice
from access30.base.fmt import plural
from access30.base.io import read_table
from access30.base.record import note_cache_entry, note_file, note_source
from access30.inputs.remote import DI_API, DI_PAGE, data_inclusion_file
from access30.inputs.sources._common import (
    SourceResult,
    cache_folder,
    check_points_in_departement,
    departement_at,
    departement_of,
    empty_records,
    make_records,
    normalise_name,
    write_json,
    write_parquet,
)

LABEL = "data·inclusion, export des structures (data.gouv.fr), Licence Ouverte 2.0"

#: v1 ``reseaux_porteurs`` codes kept → site type, in the order that settles a structure with several.
V1_NETWORKS: dict[str, str] = {
    "ccas-cias": "ccas",
    "maisons-des-solidarites": "polyvalence",
    "departements": "polyvalence",
    "fcsf": "centre_social",
    "pimms-mediation": "pimms",
    "france-service": "france_services",
    "msap": "france_services",
}
#: v0 ``typologie`` codes kept → site type.
V0_TYPES: dict[str, str] = {
    "CCAS": "ccas", "CIAS": "ccas", "MDS": "polyvalence", "CDAS": "polyvalence", "EDAS": "polyvalence",
    "CS": "centre_social", "PIMMS": "pimms", "RFS": "france_services", "MSAP": "france_services",
}
# The « departements » network also covers MDPH, UDAF, departmental offices of every kind: only
# names that say social reception count as a departmental social service.
_SOCIAL_SERVICE_NAME = re.compile(
    r"\b(mds|cdas|edas|sdsei|solidarites?|action sociale|medico sociale?|cms|circonscription|polyvalence"
    r"|service social|territoire d action sociale|tas|pole social|espace social)\b")


def _codes(value) -> list[str]:
    """A list field as read from Parquet (array), JSON text, a Python-like literal, a Postgres array
    or comma-separated text."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    if text[0] in "[(":
        for parse in (json.loads, ast.literal_eval):  # literal_eval parses literals only, never code
            try:
                return _codes(list(parse(text)))
            except (ValueError, SyntaxError, TypeError):
                continue
    return [t.strip().strip("'\"") for t in text.strip("{}[]").split(",") if t.strip().strip("'\"")]


def schema_version(columns) -> str:
    """``"v1"`` (``reseaux_porteurs``) or ``"v0"`` (``typologie``) from the column names.

    Raises
    ------
    InputError
        When neither column is present.
    """
    lower = {str(c).lower() for c in columns}
    if "reseaux_porteurs" in lower:
        return "v1"
    if "typologie" in lower:
        return "v0"
    raise InputError("export data·inclusion non reconnu : ni « reseaux_porteurs » (schéma v1) ni « typologie » "
                     f"(schéma v0) parmi les colonnes ({', '.join(list(map(str, columns))[:15])})",
                     f"téléchargez le fichier « structures » du jeu {DI_PAGE}")


def normalise_structures(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The first-reception structures of a data·inclusion export (any département).

    Returns
    -------
    kept : DataFrame
        ``di_source, di_id, name, type, networks, commune, departement, address, siret, hours, lon, lat``.
    excluded : DataFrame
        Structures of the « departements » network whose name does not say social reception
        (``name``, ``reason``).
    version : str
        ``"v1"`` or ``"v0"``.
    """
    frame = frame.rename(columns={c: str(c).lower() for c in frame.columns})
    version = schema_version(frame.columns)

    def column(name: str) -> pd.Series:
        if name not in frame.columns:
            return pd.Series("", index=frame.index)
        return frame[name].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())

    names = column("nom")
    if version == "v1":
        codes = frame["reseaux_porteurs"].map(_codes)
        order = list(V1_NETWORKS)
        networks = codes.map(lambda cs: sorted({c for c in cs if c in V1_NETWORKS}, key=order.index))
        hours = column("horaires_accueil")
    else:
        networks = column("typologie").str.upper().map(lambda t: [t] if t in V0_TYPES else [])
        hours = column("horaires_ouverture")
    mapping = V1_NETWORKS if version == "v1" else V0_TYPES
    types = networks.map(lambda ns: mapping[ns[0]] if ns else "")
    # « departements » alone: a departmental office, kept only when its name says social reception.
    only_departement = networks.map(lambda ns: ns == ["departements"])
    social = names.map(lambda n: bool(_SOCIAL_SERVICE_NAME.search(normalise_name(n))))
    excluded_mask = only_departement & ~social
    keep = (types != "") & ~excluded_mask
    address = (column("adresse") + ", " + column("complement_adresse") + ", " + column("code_postal") + " "
               + column("commune")).str.replace(r"(^[, ]+|[, ]+$)", "", regex=True)
    address = address.str.replace(r"(, )+", ", ", regex=True)
    kept = pd.DataFrame({
        "di_source": column("source"), "di_id": column("id"), "name": names, "type": types,
        "networks": networks.map(" ; ".join), "commune": column("code_insee").str.upper(),
        "address": address, "siret": column("siret").str.replace(r"\s", "", regex=True), "hours": hours,
        "lon": pd.to_numeric(column("longitude"), errors="coerce"),
        "lat": pd.to_numeric(column("latitude"), errors="coerce"),
    })[keep.to_numpy()].reset_index(drop=True)
    dep = departement_of(kept["commune"])
    missing = (dep == "").to_numpy() & kept["lon"].notna().to_numpy() & kept["lat"].notna().to_numpy()
    if missing.any():
        # No commune code: the département where the point lies (vote of the nearest town halls).
        dep = dep.copy()
        dep[missing] = departement_at(kept["lon"].to_numpy()[missing], kept["lat"].to_numpy()[missing])
    kept.insert(6, "departement", dep.to_numpy())
    excluded = pd.DataFrame({"name": names[excluded_mask.to_numpy()].to_numpy(),
                             "reason": "réseau « départements » sans mention d'un accueil social dans le nom "
                                       "(MDPH, UDAF, services administratifs…)"})
    excluded["departement"] = departement_of(column("code_insee")[excluded_mask.to_numpy()]).to_numpy()
    return kept, excluded, version


def read_structures_file(path: str | Path) -> pd.DataFrame:
    """Read a structures export as downloaded (``.parquet`` or ``.csv``)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"fichier Parquet illisible ({str(exc).splitlines()[0][:200]})",
                             f"retéléchargez le fichier « structures » du jeu {DI_PAGE}", path=path) from None
    return read_table(path, what="structures")


def build_di_cache(path: str | Path, cache: Path, vintage: str = "") -> dict:
    """Split a structures export into ``di_<dep>.parquet`` files and ``di_meta.json`` in ``cache``."""
    path = Path(path)
    kept, excluded, version = normalise_structures(read_structures_file(path))
    for old in cache.glob("di_*.parquet"):
        old.unlink()
    for dep, group in kept.groupby("departement"):
        if dep:
            write_parquet(group.reset_index(drop=True), cache / f"di_{dep}.parquet")
    if len(excluded):
        write_parquet(excluded, cache / "di_excluded.parquet")
    stat = path.stat()
    meta = {"vintage": vintage or date.fromtimestamp(stat.st_mtime).isoformat(), "version": version,
            "file": f"{path.name} ({stat.st_size} octets, {int(stat.st_mtime)})", "structures": int(len(kept)),
            "departements": {d: int(n) for d, n in kept["departement"].value_counts().sort_index().items() if d}}
    write_json(meta, cache / "di_meta.json")
    return meta


def data_inclusion_cached(cache_dir: str | Path | None = None) -> bool:
    """Whether a data·inclusion export has already been read into the cache."""
    return (cache_folder("data_inclusion", cache_dir, create=False) / "di_meta.json").is_file()


def load_data_inclusion(departement: str, cache_dir: str | Path | None = None, path: str | Path | None = None,
                        api_url: str = DI_API, refresh: bool = False) -> SourceResult:
    """The first-reception structures of data·inclusion for a département.

    Parameters
    ----------
    departement : str
    cache_dir : path, optional
        Cache root; files go to ``<cache>/data_inclusion``.
    path : path, optional
        An export downloaded by hand (``.parquet`` or ``.csv``, schema v0 or v1).
    api_url : str
        data.gouv.fr dataset description, read to find the current « structures » file.
    refresh : bool
        Download the current export again.

    Returns
    -------
    SourceResult
        Key ``data_inclusion``; ``source_key`` is ``data_inclusion:<upstream source>``.

    Raises
    ------
    NetworkUnavailableError
        Not cached and data.gouv.fr unreachable (:mod:`access30.base.fetch`): the message says what to
        download and where to put it.
    InputError
        The server refused it, or the file received is not the export.
    """
    dep = normalise_departement(departement)
    cache = cache_folder("data_inclusion", cache_dir)
    meta_path = cache / "di_meta.json"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise InputError("export data·inclusion introuvable", "vérifiez le chemin", path=path)
        build_di_cache(path, cache)
    elif refresh or not meta_path.is_file():
        entry, _ = ensure(data_inclusion_file(cache_dir, api_url), cache_dir=cache_dir, refresh=refresh,
                          timeout_s=120.0)
        build_di_cache(entry.path, cache, vintage="" if entry.manual else entry.vintage)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    vintage = meta.get("vintage", "")
    label = f"{LABEL}, schéma {meta.get('version', '')}, export du {vintage}"
    file = cache / f"di_{dep}.parquet"
    note_file(file if file.is_file() else meta_path, "cache:data_inclusion")
    entry = lookup("data_inclusion", None, cache_dir)
    if entry is not None:
        note_cache_entry(entry)
    else:  # read from an export given by hand
        note_source("data_inclusion", LABEL, vintage=vintage, url=DI_PAGE)
    if not file.is_file():
        return SourceResult("data_inclusion", label, empty_records(), vintage=vintage, notices=[Notice(
            "data_inclusion_empty", f"data·inclusion (export du {vintage}) ne recense aucun CCAS, MDS, centre social, "
                                    f"PIMMS ni France Services pour le département {dep}.")])
    frame = pd.read_parquet(file)
    records = make_records({
        "site_id": "di-" + frame["di_source"] + "-" + frame["di_id"], "name": frame["name"], "type": frame["type"],
        "commune": frame["commune"], "address": frame["address"], "hours": frame["hours"],
        "hours_format": np.where(frame["hours"] != "", "osm", ""), "source": label, "siret": frame["siret"],
        "source_ids": "data_inclusion:" + frame["di_source"] + ":" + frame["di_id"], "vintage": vintage,
        "di_networks": frame["networks"].to_numpy(),
    }, frame["lon"].to_numpy(), frame["lat"].to_numpy(), ("data_inclusion:" + frame["di_source"]).tolist())
    records = check_points_in_departement(records, dep)
    excluded = pd.DataFrame(columns=["name", "reason"])
    if (cache / "di_excluded.parquet").is_file():
        all_excluded = pd.read_parquet(cache / "di_excluded.parquet")
        excluded = all_excluded[all_excluded["departement"] == dep][["name", "reason"]].reset_index(drop=True)
    notices = []
    if len(excluded):
        notices.append(Notice("data_inclusion_excluded",
                              plural(len(excluded), "structure du réseau « départements » écartée",
                                     "structures du réseau « départements » écartées") + " : leur nom n'indique "
                              "pas un accueil social (MDPH, UDAF…)", count=len(excluded),
                              details=excluded["name"].tolist()))
    return SourceResult("data_inclusion", label, records, vintage=vintage, excluded=excluded, notices=notices)
