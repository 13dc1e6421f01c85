"""Social offices mapped in OpenStreetMap, read from an ``.osm.pbf`` (or ``.osm``) file with pyosmium.

Two tag sets are read, on nodes and ways (a way is placed at its centroid; relations are counted
and reported, not read):

* ``office=government`` + ``government=social_services`` (how CCAS and departmental social services
  are usually mapped);
* ``amenity=social_facility``. Most of these are *not* first-reception places (nursing homes,
  shelters, food banks…): only ``social_facility=outreach``, an untyped facility, or one whose name
  says CCAS, MDS/CDAS, centre social, France Services or PIMMS is kept; the others are listed in
  :attr:`SourceResult.excluded` with the reason.

The site type comes from the name (:func:`type_from_name`); a kept office whose name says nothing
is typed ``autre``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import osmium
import pandas as pd
import shapely

from access30.base.departements import normalise_departement
from access30.base.errors import InputError, Notice
from access30.base.fmt import plural
from access30.inputs.sources._common import SourceResult, departement_at, make_records, normalise_name

LABEL = "OpenStreetMap, © les contributeurs d'OpenStreetMap, ODbL 1.0"
#: Name patterns (on :func:`access30.inputs.sources._common.normalise_name`) → site type, first match wins.
NAME_TYPES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"\b(ccas|cias)\b"), "ccas"),
    (re.compile(r"\b(mds|cdas|edas|sdsei|circonscription action sociale|polyvalence|service social"
                r"|territoire action sociale|centre medico social|cms)\b"), "polyvalence"),
    (re.compile(r"\bcentre (social|socio ?culturel)\b"), "centre_social"),
    (re.compile(r"\b(france services|msap|maison services public)\b"), "france_services"),
    (re.compile(r"\bpimms\b"), "pimms"),
)
#: ``social_facility`` values kept without a telling name: outreach is social work with the public.
_KEPT_FACILITIES = ("", "outreach")


def type_from_name(name: str) -> str:
    """Site type read from a name (« CCAS de … » → ``ccas``), or "" when the name says nothing."""
    normalised = normalise_name(name)
    for pattern, site_type in NAME_TYPES:
        if pattern.search(normalised):
            return site_type
    return ""


def _scan(path: Path) -> tuple[list[dict], set[int], int]:
    tagged = osmium.filter.TagFilter(("amenity", "social_facility"), ("office", "government"))
    found, refs, relations = [], set(), 0
    processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION)
    for obj in processor.with_filter(tagged):
        tags = {t.k: t.v for t in obj.tags}
        if obj.is_relation():
            relations += 1
            continue
        item = {"kind": "node" if obj.is_node() else "way", "id": obj.id, "tags": tags}
        if obj.is_node():
            item["lon"], item["lat"] = ((obj.location.lon, obj.location.lat) if obj.location.valid()
                                        else (np.nan, np.nan))
        else:
            item["refs"] = [n.ref for n in obj.nodes]
            refs.update(item["refs"])
        found.append(item)
    return found, refs, relations


def _node_locations(path: Path, refs: set[int]) -> dict[int, tuple[float, float]]:
    if not refs:
        return {}
    locations = {}
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(osmium.filter.IdFilter(refs)):
        if node.location.valid():
            locations[node.id] = (node.location.lon, node.location.lat)
    return locations


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    if not points:
        return np.nan, np.nan
    if len(points) >= 4 and points[0] == points[-1]:
        polygon = shapely.Polygon(points)
        if polygon.is_valid and polygon.area > 0:
            c = polygon.centroid
            return c.x, c.y
    return float(np.mean([p[0] for p in points])), float(np.mean([p[1] for p in points]))


def read_osm(path: str | Path, departement: str | None = None) -> SourceResult:
    """First-reception offices mapped in an OSM extract.

    Parameters
    ----------
    path : str or Path
        ``.osm.pbf`` (or ``.osm`` XML) extract.
    departement : str, optional
        Keep only the offices in this département (by the vote of their five nearest town halls,
        :func:`~access30.inputs.sources._common.departement_at`; a regional extract covers several).

    Returns
    -------
    SourceResult
        Key ``osm``; ``site_id`` ``osm-n<id>``/``osm-w<id>``; hours from ``opening_hours`` (format
        ``osm``); ``excluded`` lists the social facilities that are not reception places.

    Raises
    ------
    InputError
        Missing or unreadable file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("fichier OpenStreetMap introuvable", "vérifiez le chemin", path=path)
    try:
        found, refs, relations = _scan(path)
        locations = _node_locations(path, refs)
    except RuntimeError as exc:
        raise InputError(f"fichier OpenStreetMap illisible ({str(exc).splitlines()[0][:200]})",
                         "fournissez un extrait .osm.pbf valide (par ex. de download.geofabrik.de)",
                         path=path) from None
    rows, excluded = [], []
    for item in found:
        tags = item["tags"]
        name = tags.get("name", "") or tags.get("official_name", "")
        social_office = tags.get("office") == "government" and tags.get("government") == "social_services"
        facility = tags.get("amenity") == "social_facility"
        label = name or f"Lieu sans nom (OpenStreetMap, {'nœud' if item['kind'] == 'node' else 'chemin'} {item['id']})"
        if not (social_office or facility):
            excluded.append((label,
                             f"office=government, government={tags.get('government', '')} : pas un service social"))
            continue
        site_type = type_from_name(name)
        kind = tags.get("social_facility", "")
        if facility and not social_office and not site_type and kind not in _KEPT_FACILITIES:
            excluded.append((label, f"social_facility={kind} : établissement social, pas un lieu de premier accueil"))
            continue
        if item["kind"] == "way":
            lon, lat = _centroid([locations[r] for r in item["refs"] if r in locations])
        else:
            lon, lat = item["lon"], item["lat"]
        address = " ".join(tags.get(k, "") for k in ("addr:housenumber", "addr:street")).strip()
        town = " ".join(tags.get(k, "") for k in ("addr:postcode", "addr:city")).strip()
        rows.append({
            "site_id": f"osm-{item['kind'][0]}{item['id']}", "name": label, "type": site_type or "autre",
            "commune": tags.get("ref:INSEE", ""), "address": ", ".join(p for p in (address, town) if p),
            "hours": tags.get("opening_hours", ""), "source_ids": f"osm:{item['kind']}/{item['id']}",
            "osm_tags": "; ".join(f"{k}={v}" for k, v in tags.items() if k in ("amenity", "office", "government",
                                                                               "social_facility", "operator")),
            "lon": lon, "lat": lat,
        })
    frame = pd.DataFrame(rows, columns=["site_id", "name", "type", "commune", "address", "hours", "source_ids",
                                        "osm_tags", "lon", "lat"])
    notices = []
    if departement is not None and len(frame):
        dep = normalise_departement(departement)
        outside = departement_at(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float)) != dep
        if outside.any():
            notices.append(Notice("osm_outside", plural(int(outside.sum()),
                                                        f"lieu OpenStreetMap hors du département {dep}, ignoré",
                                                        f"lieux OpenStreetMap hors du département {dep}, ignorés"),
                                  count=int(outside.sum())))
        frame = frame[~outside].reset_index(drop=True)
    vintage = _vintage(path)
    label = f"{LABEL} ({path.name}, {vintage})"
    records = make_records({
        "site_id": frame["site_id"], "name": frame["name"], "type": frame["type"], "commune": frame["commune"],
        "address": frame["address"], "hours": frame["hours"],
        "hours_format": np.where(frame["hours"] != "", "osm", ""), "source": label, "siret": "",
        "source_ids": frame["source_ids"], "vintage": vintage, "osm_tags": frame["osm_tags"].to_numpy(),
    }, frame["lon"].to_numpy(), frame["lat"].to_numpy(), "osm")
    if relations:
        notices.append(Notice("osm_relations", plural(relations,
                                                      "relation OpenStreetMap portant ces étiquettes non lue",
                                                      "relations OpenStreetMap portant ces étiquettes non lues")
                              + " (seuls les nœuds et les chemins le sont)", count=relations))
    excluded_frame = pd.DataFrame(excluded, columns=["name", "reason"])
    if len(excluded_frame):
        notices.append(Notice("osm_excluded", plural(len(excluded_frame), "objet OpenStreetMap écarté",
                                                     "objets OpenStreetMap écartés") + " (EHPAD, foyers, "
                                              "banques alimentaires… : pas des lieux de premier accueil)",
                              count=len(excluded_frame), details=excluded_frame["name"].tolist()))
    return SourceResult("osm", label, records, vintage=vintage, excluded=excluded_frame, notices=notices)


def _vintage(path: Path) -> str:
    """The extract's replication timestamp when its header has one, else the file date."""
    try:
        header = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header()
        stamp = header.get("osmosis_replication_timestamp") or header.get("timestamp")
    except RuntimeError:
        stamp = ""
    # Without a header date, the file's own date says when it was copied, not when it was extracted.
    return stamp[:10] if stamp else ("date d'extraction inconnue "
                                     f"(fichier du {date.fromtimestamp(path.stat().st_mtime)})")
