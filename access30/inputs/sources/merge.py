"""Merging the sources into one site list: duplicates found, every source id kept, the winner said.

**Same place.** Two records from *different* sources (``source_key``; the upstream sources inside
data·inclusion count apart) are the same place when they have the **same site type** and one of:

1. **SIRET**: the same 14-digit SIRET, and within :data:`SIRET_RADIUS_M` (1 km) when both have a
   point, or names similar (≥ :data:`NAME_SIMILARITY`) when one has none. The distance bound is there
   because a SIRET may be the head office's, shared by sibling sites (the schema of data·inclusion
   allows it: every MDS of a département may carry the Département's SIRET).
2. **Proximity**: within :data:`MATCH_RADIUS_M` (50 m) and names similar (≥ :data:`NAME_SIMILARITY`).
3. **Same commune**: the same commune code and names very similar (≥ :data:`SAME_COMMUNE_SIMILARITY`),
   within 1 km or one without a point: the same office geocoded differently by two sources (a BAN
   street-level geocode and the directory's own point), or a record whose point is missing.

Names are compared after :func:`access30.inputs.sources._common.normalise_name` (accents, case, punctuation,
articles; « Centre communal d'action sociale » → « ccas », « St » → « saint »), with
:func:`~access30.inputs.sources._common.name_similarity`: the share of the shorter name's words found in the
other, or the character similarity if higher. Pairs are accepted best first (SIRET, then proximity,
then commune; higher similarity, then shorter distance), and a merged site never holds two records of
the same source, so that two distinct offices of one source are never chained into one site.

**Priority.** In a merged site, the record of the source first in :data:`SOURCE_PRIORITY` wins (its
id, name, type, source): the shipped inventories (checked by hand), then the ANCT France Services
list (the labelling authority), the DILA directory (maintained by the administrations themselves),
data·inclusion (an aggregator, partly of the same sources), OpenStreetMap (crowd-sourced), and last
the town halls (a stand-in for CCAS). A field the winner lacks (point, hours, SIRET, address) is
taken from the next source that has it, and ``geometry_source``/``hours_source`` say which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from access30.base.crs import local_crs, to_projected
from access30.base.errors import Notice
from access30.base.fmt import fmt_list, plural
from access30.inputs.sites import SITE_COLUMNS
from access30.inputs.sources._common import EXTRA_COLUMNS, SourceResult, name_similarity, type_label

SOURCE_PRIORITY = ("inventaire", "france_services", "dila", "data_inclusion", "osm", "mairies")
SOURCE_LABELS_FR = {
    "inventaire": "Inventaire livré", "france_services": "France Services (ANCT)",
    "dila": "Annuaire de l'administration (DILA)", "data_inclusion": "data·inclusion",
    "osm": "OpenStreetMap", "mairies": "Mairies (indicateur de CCAS)",
}
MATCH_RADIUS_M = 50.0
SIRET_RADIUS_M = 1_000.0
NAME_SIMILARITY = 0.6
SAME_COMMUNE_SIMILARITY = 0.8
_RULES = ("siret", "proximité", "même commune")
#: Report columns and their French headers.
REPORT_COLUMNS_FR = {
    "source": "Source", "type": "Type", "type_label": "Type de lieu", "found": "Trouvés",
    "with_point": "Avec coordonnées", "without_point": "Sans coordonnées", "merged": "Fusionnés (doublons)",
    "kept": "Retenus avec coordonnées", "kept_without_point": "Retenus sans coordonnées",
    "point_from_other_source": "Coordonnées prises d'une autre source",
}


@dataclass
class MergeResult:
    """The merged site list.

    Attributes
    ----------
    sites : GeoDataFrame
        One row per place with a point: the site columns of :mod:`access30.inputs.sites`, ``siret``,
        ``source_ids`` (every record, « ; »-joined, winner first), ``vintage`` (the winner's),
        ``sources``, ``geometry_source``, ``hours_source``, ``merged_records``, and the sources'
        own columns (first non-empty value by priority).
    without_coordinates : DataFrame
        Places no source could place (« sans coordonnées »), with the reasons.
    report : DataFrame
        Per source and type: found, with/without point, merged into another source's site, kept,
        kept without point, point taken from another source; then one « ensemble » row per type.
    matches : DataFrame
        Each record merged into another: ``kept_site_id``, ``merged_source_id``, ``rule``,
        ``distance_m``, ``similarity``.
    notices : list of Notice
    """

    sites: gpd.GeoDataFrame
    without_coordinates: pd.DataFrame
    report: pd.DataFrame
    matches: pd.DataFrame
    notices: list[Notice] = field(default_factory=list)


def _prefix(source_key: pd.Series) -> pd.Series:
    return source_key.astype(str).str.split(":").str[0]


def _valid_siret(siret: pd.Series) -> np.ndarray:
    return siret.astype(str).str.fullmatch(r"\d{14}").to_numpy()


def _candidate_pairs(records: gpd.GeoDataFrame, xy: np.ndarray) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    located = np.flatnonzero(np.isfinite(xy[:, 0]))
    if located.size > 1:
        for a, b in cKDTree(xy[located]).query_pairs(SIRET_RADIUS_M):
            pairs.add((int(min(located[a], located[b])), int(max(located[a], located[b]))))
    # Records without a point: compared with every record of the same commune or SIRET.
    unlocated = np.flatnonzero(~np.isfinite(xy[:, 0]))
    for column, valid in (("commune", records["commune"].astype(str) != ""),
                          ("siret", pd.Series(_valid_siret(records["siret"]), index=records.index))):
        keys = records[column].astype(str).where(valid.to_numpy(), None)
        groups = pd.Series(np.arange(len(records))).groupby(keys.to_numpy()).agg(list)
        for i in unlocated:
            if keys.iloc[i] is None:
                continue
            for j in groups.get(keys.iloc[i], []):
                if j != i:
                    pairs.add((min(i, j), max(i, j)))
    return pairs


def _rule(records, xy, i: int, j: int) -> tuple[int, float, float] | None:
    """(rule index, distance or NaN, similarity) when records i and j are the same place."""
    if records["type"].iat[i] != records["type"].iat[j] or records["source_key"].iat[i] == records["source_key"].iat[j]:
        return None
    distance = float(np.hypot(*(xy[i] - xy[j])))
    both = np.isfinite(distance)
    similarity = name_similarity(records["name"].iat[i], records["name"].iat[j])
    siret_i, siret_j = records["siret"].iat[i], records["siret"].iat[j]
    if len(siret_i) == 14 and siret_i.isdigit() and siret_i == siret_j:
        if (both and distance <= SIRET_RADIUS_M) or (not both and similarity >= NAME_SIMILARITY):
            return 0, distance, similarity
    if both and distance <= MATCH_RADIUS_M and similarity >= NAME_SIMILARITY:
        return 1, distance, similarity
    commune = records["commune"].iat[i]
    if (commune and commune == records["commune"].iat[j] and similarity >= SAME_COMMUNE_SIMILARITY
            and (not both or distance <= SIRET_RADIUS_M)):
        return 2, distance, similarity
    return None


def merge_sources(results: list[SourceResult], priority: tuple[str, ...] = SOURCE_PRIORITY) -> MergeResult:
    """Merge the records of several sources into one site list (see the module docstring for the
    rule and the priority).

    Parameters
    ----------
    results : list of SourceResult
    priority : tuple of str
        Source keys, the most trusted first; unknown keys come last.

    Returns
    -------
    MergeResult
    """
    frames = [r.records for r in results if len(r.records)]
    if not frames:
        empty = gpd.GeoDataFrame(columns=SITE_COLUMNS + EXTRA_COLUMNS + ["geometry"], geometry="geometry",
                                 crs="EPSG:4326")
        without = pd.DataFrame(columns=["site_id", "name", "type", "commune", "source", "source_ids", "vintage",
                                        "missing_reason"])
        matches = pd.DataFrame(columns=["kept_site_id", "merged_source_id", "rule", "distance_m", "similarity"])
        return MergeResult(empty, without, _report(results, pd.DataFrame(), pd.DataFrame()), matches)
    records = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    for column in records.columns:
        if column != "geometry" and records[column].dtype == object:
            records[column] = records[column].fillna("").astype(str)
    ids = records["site_id"]
    repeated = ids.duplicated(keep=False)
    if repeated.any():
        # Ids are per source; two sources may coin the same one.
        records["site_id"] = ids.where(~repeated, ids + "-" + ids.groupby(ids).cumcount().add(1).astype(str))
    rank_of = {key: k for k, key in enumerate(priority)}
    records["_rank"] = _prefix(records["source_key"]).map(rank_of).fillna(len(priority)).astype(int)
    located = records.geometry.notna().to_numpy()
    xy = np.full((len(records), 2), np.nan)
    if located.any():
        lon, lat = records.geometry[located].x.to_numpy(), records.geometry[located].y.to_numpy()
        projected = records.geometry[located].to_crs(local_crs(lon, lat))
        xy[located] = np.column_stack([projected.x, projected.y])
    candidates = []
    for i, j in _candidate_pairs(records, xy):
        found = _rule(records, xy, i, j)
        if found is not None:
            candidates.append((found[0], -found[2], 0.0 if np.isnan(found[1]) else found[1], i, j, found))
    candidates.sort()
    # Union of clusters, never two records of one source in a cluster.
    cluster = np.arange(len(records))
    members: dict[int, list[int]] = {i: [i] for i in range(len(records))}
    keys: dict[int, set[str]] = {i: {records["source_key"].iat[i]} for i in range(len(records))}
    accepted = []
    for *_, i, j, found in candidates:
        a, b = cluster[i], cluster[j]
        if a == b or keys[a] & keys[b]:
            continue
        members[a] += members.pop(b)
        keys[a] |= keys.pop(b)
        cluster[members[a]] = a
        accepted.append((i, j, found))
    records["_cluster"] = cluster
    order = records.sort_values(["_cluster", "_rank", "site_id"], kind="stable")
    merged_rows, winners = [], {}
    extra = [c for c in records.columns if c not in SITE_COLUMNS + EXTRA_COLUMNS
             + ["geometry", "source_key", "missing_reason", "_rank", "_cluster"]]
    for cluster_id, group in order.groupby("_cluster", sort=False):
        winner = group.iloc[0]
        winners[cluster_id] = winner.name
        row = {c: winner[c] for c in SITE_COLUMNS}
        with_point = group[group.geometry.notna()]
        row["geometry"] = with_point.geometry.iloc[0] if len(with_point) else None
        row["geometry_source"] = _prefix(with_point["source_key"]).iloc[0] if len(with_point) else ""
        with_hours = group[group["hours"] != ""]
        if len(with_hours):
            row["hours"], row["hours_format"] = with_hours["hours"].iloc[0], with_hours["hours_format"].iloc[0]
        row["hours_source"] = _prefix(with_hours["source_key"]).iloc[0] if len(with_hours) else ""
        for column in ["siret", "commune", "address"] + extra:
            values = group[column][group[column] != ""]
            row[column] = values.iloc[0] if len(values) else ""
        row["source_ids"] = " ; ".join(group["source_ids"])
        row["vintage"] = winner["vintage"]
        row["sources"] = " ; ".join(dict.fromkeys(_prefix(group["source_key"])))
        row["merged_records"] = len(group)
        row["missing_reason"] = ("" if len(with_point)
                                 else " ; ".join(dict.fromkeys(r for r in group["missing_reason"] if r)))
        merged_rows.append(row)
    merged = gpd.GeoDataFrame(pd.DataFrame(merged_rows), geometry="geometry", crs="EPSG:4326")
    columns = SITE_COLUMNS + EXTRA_COLUMNS + ["sources", "geometry_source", "hours_source", "merged_records"] + extra
    has_point = merged.geometry.notna()
    sites = merged.loc[has_point, columns + ["geometry"]].reset_index(drop=True)
    without = pd.DataFrame(merged.loc[~has_point, ["site_id", "name", "type", "commune", "source", "source_ids",
                                                   "vintage", "missing_reason"]]).reset_index(drop=True)
    matches = pd.DataFrame([{
        "kept_site_id": records.at[winners[cluster[i]], "site_id"],
        "merged_source_id": records["source_ids"].iat[k],
        "rule": _RULES[found[0]], "distance_m": round(found[1], 1) if np.isfinite(found[1]) else np.nan,
        "similarity": round(found[2], 2),
    } for i, j, found in accepted for k in (i, j) if k != winners[cluster[i]]],
        columns=["kept_site_id", "merged_source_id", "rule", "distance_m", "similarity"],
    ).drop_duplicates("merged_source_id")
    records["_winner"] = [winners[c] == idx for c, idx in zip(records["_cluster"], records.index)]
    notices = []
    if len(matches):
        by_rule = matches["rule"].value_counts()
        notices.append(Notice("sites_merged", plural(len(matches), "doublon entre sources fusionné",
                                                     "doublons entre sources fusionnés") + " ("
                              + ", ".join(f"{n} par {rule}" for rule, n in by_rule.items()) + ")", count=len(matches),
                              details=[f"{m.merged_source_id} → {m.kept_site_id} ({m.rule})"
                                       for m in matches.itertuples()]))
    gained = sites[sites["geometry_source"] != sites["sources"].str.split(" ; ").str[0]]
    if len(gained):
        notices.append(Notice("point_from_other_source",
                              plural(len(gained), "lieu placé", "lieux placés")
                              + " grâce au point d'une autre source : "
                              + ", ".join(f"{n} ({g})"
                                          for n, g in zip(gained["name"].head(5), gained["geometry_source"])),
                              count=len(gained), details=gained["name"].tolist()))
    if len(without):
        notices.append(Notice("sans_coordonnees", plural(
                                  len(without),
                                  "lieu sans coordonnées dans toutes les sources, listé à part et absent du calcul",
                                  "lieux sans coordonnées dans toutes les sources, listés à part et absents du calcul")
                              + " : " + ", ".join(without["name"].head(6))
                              + ("…" if len(without) > 6 else ""), count=len(without),
                              details=without["name"].tolist()))
    return MergeResult(sites, without, _report(results, records, merged), matches, notices)


def _report(results: list[SourceResult], records: pd.DataFrame, merged: pd.DataFrame) -> pd.DataFrame:
    rows = []
    if len(records):
        records = records.assign(_source=_prefix(records["source_key"]), _point=records.geometry.notna())
        merged_point = merged.set_index("site_id")
        for (source, site_type), group in records.groupby(["_source", "type"], sort=False):
            winners = group[group["_winner"]]
            kept_point = (merged_point.loc[winners["site_id"]].geometry.notna().to_numpy() if len(winners)
                          else np.array([]))
            from_other = (merged_point.loc[winners["site_id"], "geometry_source"].to_numpy() != source) & kept_point \
                if len(winners) else np.array([])
            rows.append({"source": source, "type": site_type, "found": len(group),
                         "with_point": int(group["_point"].sum()),
                         "without_point": int((~group["_point"]).sum()), "merged": int((~group["_winner"]).sum()),
                         "kept": int(kept_point.sum()), "kept_without_point": int((~kept_point.astype(bool)).sum()),
                         "point_from_other_source": int(np.sum(from_other))})
        for site_type, group in merged.groupby("type", sort=True):
            point = group.geometry.notna()
            rows.append({"source": "ensemble", "type": site_type, "found": int(group["merged_records"].sum()),
                         "with_point": pd.NA, "without_point": pd.NA,
                         "merged": int(group["merged_records"].sum() - len(group)), "kept": int(point.sum()),
                         "kept_without_point": int((~point).sum()),
                         "point_from_other_source": int((point & (group["geometry_source"]
                                                                  != group["sources"].str.split(" ; ").str[0])).sum())})
    report = pd.DataFrame(rows, columns=["source", "type", "found", "with_point", "without_point", "merged", "kept",
                                         "kept_without_point", "point_from_other_source"])
    counts = ["found", "with_point", "without_point", "merged", "kept", "kept_without_point", "point_from_other_source"]
    report[counts] = report[counts].astype("Int64")
    report.insert(2, "type_label", report["type"].map(type_label))
    rank = {key: k for k, key in enumerate(SOURCE_PRIORITY + ("ensemble",))}
    report = report.sort_values(["source", "type"],
                                key=lambda s: s.map(rank).fillna(len(rank) - 1) if s.name == "source"
                                else s, kind="stable").reset_index(drop=True)
    return report


def report_fr(report: pd.DataFrame) -> pd.DataFrame:
    """The per-source report with French headers and source names, for printing and writing."""
    out = report.assign(source=report["source"].map(lambda s: SOURCE_LABELS_FR.get(s, "Ensemble, après fusion"
                                                                                     if s == "ensemble" else s)))
    return out.drop(columns=["type"]).rename(columns=REPORT_COLUMNS_FR)


# --------------------------------------------------------------------------------------------
# A user's own site file next to the built-in lists


#: The type of a user's row whose file states none (« autre »): it may be the same place as a typed one.
UNTYPED = "autre"


def _generated_ids(sites: pd.DataFrame) -> np.ndarray:
    """True where a site id was made up by :func:`access30.inputs.sites.read_sites` (« <file>-<row> »), not given."""
    stems = sites["source"].astype(str).map(lambda name: re.escape(Path(name).stem))
    ids = sites["site_id"].astype(str)
    return np.array([bool(re.fullmatch(rf"{stem}-\d+(?:-\d+)?", i)) for stem, i in zip(stems, ids)], dtype=bool)


def _same_places(listed: gpd.GeoDataFrame, user: gpd.GeoDataFrame) -> list[tuple[int, int]]:
    """(user row, built-in row) pairs that are the same place: same type (or none stated in the user's
    file), and the same name and point (to 1 m) or points within :data:`MATCH_RADIUS_M` and similar
    names (≥ :data:`NAME_SIMILARITY`). Closest pairs first; each row is used once."""
    if not len(listed) or not len(user):
        return []
    lon = np.r_[listed.geometry.x.to_numpy(), user.geometry.x.to_numpy()]
    lat = np.r_[listed.geometry.y.to_numpy(), user.geometry.y.to_numpy()]
    x, y = to_projected(lon, lat, local_crs(lon, lat))
    xy = np.c_[x, y]
    n = len(listed)
    found = []
    for i, near in enumerate(cKDTree(xy[:n]).query_ball_point(xy[n:], MATCH_RADIUS_M)):
        for j in near:
            if user["type"].iat[i] not in (listed["type"].iat[j], UNTYPED):  # a row of no stated type may match
                continue
            distance = float(np.hypot(*(xy[n + i] - xy[j])))
            same_name = str(listed["name"].iat[j]).strip().lower() == str(user["name"].iat[i]).strip().lower()
            similarity = 1.0 if same_name else name_similarity(listed["name"].iat[j], user["name"].iat[i])
            if (same_name and distance <= 1.0) or similarity >= NAME_SIMILARITY:
                found.append((distance, -similarity, i, j))
    pairs, used_user, used_listed = [], set(), set()
    for _, _, i, j in sorted(found):
        if i not in used_user and j not in used_listed:
            used_user.add(i)
            used_listed.add(j)
            pairs.append((i, j))
    return pairs


def _given(user: gpd.GeoDataFrame, i: int, generated_id: bool) -> list[str]:
    """The columns of the user's row ``i`` that the user gave: its point and capacity (an empty
    capacity is the user's « unknown »), its id unless made up, and every other non-empty value."""
    given = []
    for column in user.columns:
        if column in ("source", "hours_format") or (column == "type" and user[column].iat[i] == UNTYPED):
            continue
        if column in ("geometry", "capacity"):
            given.append(column)
        elif column == "site_id":
            if not generated_id:
                given.append(column)
        elif str(user[column].iat[i]).strip() not in ("", "nan"):
            given.append(column)
    return given


def merge_user_sites(listed: gpd.GeoDataFrame, user: gpd.GeoDataFrame,
                     notices: list[Notice]) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """The built-in sites and the user's own, one row per place, the user's values kept.

    A row of the user's file and a built-in row are the same place when they have the same type (or
    the user's row has none, « autre ») and the same name and point (to 1 m), or points within
    :data:`MATCH_RADIUS_M` (50 m) and similar names (:func:`~access30.inputs.sources._common.name_similarity`
    ≥ :data:`NAME_SIMILARITY`). The merged row takes the user's values for every column the user
    gave (name, point, capacity, hours, address, commune, id, a stated type), and the built-in row's
    for the others (an id the file did not give, hours it lacks, the built-in list's own columns): a
    ``--capacity`` column survives, and so does the id a sectorisation file names.

    Parameters
    ----------
    listed : GeoDataFrame
        The built-in sites (site columns of :mod:`access30.inputs.sites`, WGS84).
    user : GeoDataFrame
        The user's sites (:func:`access30.inputs.sites.read_sites`), with ``capacity`` when one was asked.
    notices : list of Notice
        Extended with one ``duplicate_sites`` notice naming the places merged.

    Returns
    -------
    sites : GeoDataFrame
        The built-in rows (merged ones in place) then the user's other rows; not yet deduplicated
        otherwise (:func:`access30.inputs.sites.dedupe_sites` follows).
    notices : list of Notice
    """
    pairs = _same_places(listed, user)
    if not pairs:
        return gpd.GeoDataFrame(pd.concat([listed, user], ignore_index=True), geometry="geometry",
                                crs="EPSG:4326"), notices
    listed = listed.reset_index(drop=True).copy()
    user = user.reset_index(drop=True)
    for column in user.columns:
        if column not in listed.columns:
            listed[column] = np.nan if column == "capacity" else ""
    generated = _generated_ids(user)
    given_columns = {}
    for i, j in pairs:
        given = _given(user, i, generated[i])
        for column in given:
            listed.at[j, column] = user[column].iat[i]
        if "hours" in given and "hours_format" in user.columns:
            listed.at[j, "hours_format"] = user["hours_format"].iat[i]
        listed.at[j, "source"] = f"{user['source'].iat[i]} ; {listed['source'].iat[j]}"
        given_columns.update(dict.fromkeys(c for c in given if c not in ("geometry", "name", "type")))
    merged = [i for i, _ in pairs]
    rest = user.drop(index=merged)
    words = {"capacity": "capacité", "hours": "horaires", "address": "adresse", "commune": "commune",
             "site_id": "identifiant"}
    kept = ", ".join(words.get(c, c) for c in given_columns)
    names = user["name"].iloc[merged].astype(str).tolist()
    notices.append(Notice("duplicate_sites",
                          plural(len(merged), "lieu en double retiré", "lieux en double retirés")
                          + " : déjà dans les listes intégrées, fusionnés avec elles en gardant les valeurs de "
                          + str(user["source"].iat[0]) + (f" ({kept})" if kept else "") + " : "
                          + fmt_list(names), count=len(merged), details=names))
    sites = gpd.GeoDataFrame(pd.concat([listed, rest], ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return sites, notices
