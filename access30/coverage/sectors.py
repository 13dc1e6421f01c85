"""Coverage to the *assigned* site: residents are expected at their sector's CDAS or MDS.

A département's social service is organised in sectors: each commune is served by one site (a
large town by several, with no known boundary inside it). The headline coverage counts the time to
the nearest site, whichever it is; a planner also needs the time to the site a resident is sent
to. :func:`assigned_coverage` gives both, per unit and per commune, and the gap between them.

The time to the assigned site uses the same network joins as the headline (units and sites joined
on road segments, direct legs, access legs; :func:`access30.routing.roads.site_unit_times`), so that where
the assigned site is the nearest one, both times are equal. A resident of a commune split between
several sites is counted at the nearest of those sites (the files give no sub-commune boundary).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from difflib import get_close_matches
from pathlib import Path

import numpy as np
import pandas as pd

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_int, fmt_list, fmt_min, fmt_num, fmt_pct, plural
from access30.coverage.result import AssignedCoverage, CoverageResult, Routing, SectorSummary
from access30.coverage.rules import STATUS_COVERED, STATUS_NO_ROAD, covered
from access30.inputs.sources.sectors import Sectorisation, load_sectors, read_sectors
from access30.inputs.study import Study
from access30.routing.roads import site_unit_times

#: Times to the assigned site are searched up to this bound; beyond it a resident is « hors d'atteinte ».
ASSIGNED_LIMIT_S = 3 * 3600.0
#: A sectorisation file whose unknown site ids exceed this share of its rows or of the population is refused.
MAX_UNKNOWN_SHARE = 0.5


def _sector_masks(unit_communes: np.ndarray, sites_by_commune: Mapping[str, Sequence[str]],
                  located: list[str]) -> np.ndarray:
    """(located sector sites × units): whether the site serves the unit's commune."""
    serves: dict[str, set[str]] = {}
    for code, ids in sites_by_commune.items():
        for site in ids:
            serves.setdefault(str(site), set()).add(str(code))
    return np.array([np.isin(unit_communes, sorted(serves.get(site, ()))) for site in located], dtype=bool
                    ).reshape(len(located), unit_communes.size)


def assigned_coverage(study: Study, routing: Routing, result: CoverageResult,
                      sites_by_commune: Mapping[str, Sequence[str]], source: str) -> AssignedCoverage:
    """Coverage to each resident's sector site, next to coverage to the nearest site.

    Parameters
    ----------
    study, routing : Study, Routing
        The routed study of ``result`` (its sites must include the sector sites, by ``site_id``).
    result : CoverageResult
        Coverage to the nearest site (``evaluate(study, routing, threshold)``).
    sites_by_commune : mapping
        Commune code → the ids of the sites serving it (several for a split commune).
    source : str
        Where the sectorisation comes from, for notices and outputs.

    Returns
    -------
    AssignedCoverage
    """
    units = result.units
    threshold_s = float(result.threshold_min) * 60.0
    unit_communes = units["commune"].astype(str).to_numpy()
    pop = units["population"].to_numpy(dtype=float)
    ids = study.sites["site_id"].astype(str).to_numpy()
    position = {site: i for i, site in enumerate(ids)}
    wanted = sorted({str(s) for sites in sites_by_commune.values() for s in sites})
    located = [s for s in wanted if s in position]  # a site off the roads is still reached straight
    unknown = tuple(s for s in wanted if s not in located)  # no site of the study has that id

    times = np.full((len(located), len(units)), np.inf)
    if located:
        index = np.array([position[s] for s in located])
        matrix = site_unit_times(study.network, routing.units, routing.sites.take(index), study.access,
                                 ASSIGNED_LIMIT_S).tocoo()
        times[matrix.row, matrix.col] = matrix.data
    serves = _sector_masks(unit_communes, sites_by_commune, located)
    allowed = np.where(serves, times, np.inf)
    has_sector = np.isin(unit_communes, list(map(str, sites_by_commune)))
    best = allowed.argmin(axis=0) if located else np.zeros(len(units), dtype=int)
    assigned_s = allowed.min(axis=0) if located else np.full(len(units), np.inf)
    assigned_s = np.where(has_sector, assigned_s, np.nan)
    no_road = units["status"].to_numpy() == STATUS_NO_ROAD
    reached = np.isfinite(assigned_s)  # NaN (no sector) and inf (out of reach) alike are not reached
    covered_assigned = has_sector & ~no_road & reached & covered(np.where(reached, assigned_s, np.inf), threshold_s)
    covered_nearest = units["status"].to_numpy() == STATUS_COVERED
    known_sector = serves.any(axis=0) if located else np.zeros(len(units), dtype=bool)
    # A known sector site that none of the residents of its sector reaches.
    unreached = tuple(site for k, site in enumerate(located)
                      if serves[k].any() and not np.isfinite(times[k][serves[k]]).any())
    assigned_id = np.where(has_sector & reached,
                           np.asarray(located + [""], dtype=object)[np.where(np.isfinite(assigned_s), best, -1)], "")
    sector_text = {str(c): " ; ".join(map(str, s)) for c, s in sites_by_commune.items()}
    nearest_id = units["site_id"].astype(str).to_numpy() if "site_id" in units.columns else np.full(len(units), "")
    elsewhere = has_sector & ~no_road & np.array([n not in sector_text.get(c, "").split(" ; ")
                                                  for n, c in zip(nearest_id, unit_communes)], dtype=bool)

    table = pd.DataFrame({
        "unit_id": units["unit_id"].to_numpy(), "commune": unit_communes, "population": pop,
        "sector_sites": [sector_text.get(c, "") for c in unit_communes], "assigned_site_id": assigned_id,
        "assigned_min": assigned_s / 60.0, "covered_nearest": covered_nearest, "covered_assigned": covered_assigned,
    })
    communes = _commune_table(table, result)
    sectorised = float(pop[has_sector].sum())
    finite = has_sector & reached & ~no_road
    summary = SectorSummary(
        source=source, population_sectorised=sectorised,
        population_covered_nearest=float(pop[has_sector & covered_nearest].sum()),
        population_covered_assigned=float(pop[covered_assigned].sum()),
        share_covered_nearest=float(pop[has_sector & covered_nearest].sum() / sectorised) if sectorised else np.nan,
        share_covered_assigned=float(pop[covered_assigned].sum() / sectorised) if sectorised else np.nan,
        population_gap=float(pop[has_sector & covered_nearest & ~covered_assigned].sum()),
        population_nearest_elsewhere=float(pop[elsewhere].sum()),
        population_without_sector=float(pop[~has_sector].sum()),
        population_sector_unlocated=float(pop[has_sector & known_sector & ~reached].sum()),
        mean_assigned_min=float(np.average(assigned_s[finite] / 60.0, weights=pop[finite]))
        if finite.any() and pop[finite].sum() > 0 else np.nan,
        communes_without_sector=tuple(sorted(set(unit_communes[~has_sector]))),
        sites_unlocated=unreached, sites_unknown=unknown,
        population_sector_unknown=float(pop[has_sector & ~known_sector].sum()))
    return AssignedCoverage(units=table, communes=communes, summary=summary, notices=_notices(summary, study))


def _commune_table(table: pd.DataFrame, result: CoverageResult) -> pd.DataFrame:
    sectorised = table[table["sector_sites"] != ""].copy()
    w = sectorised["population"]
    sectorised["w_nearest"] = w * sectorised["covered_nearest"]
    sectorised["w_assigned"] = w * sectorised["covered_assigned"]
    finite = np.isfinite(sectorised["assigned_min"].to_numpy(dtype=float))
    sectorised["w_time"] = np.where(finite, w * sectorised["assigned_min"].fillna(0).replace(np.inf, 0), 0.0)
    sectorised["w_finite"] = np.where(finite, w, 0.0)
    grouped = sectorised.groupby(["commune", "sector_sites"], sort=False).agg(
        population=("population", "sum"), covered_nearest=("w_nearest", "sum"), covered_assigned=("w_assigned", "sum"),
        w_time=("w_time", "sum"), w_finite=("w_finite", "sum")).reset_index()
    total = grouped["population"].replace(0, np.nan)
    grouped["share_nearest"] = grouped["covered_nearest"] / total
    grouped["share_assigned"] = grouped["covered_assigned"] / total
    grouped["gap"] = grouped["covered_nearest"] - grouped["covered_assigned"]
    grouped["mean_assigned_min"] = grouped["w_time"] / grouped["w_finite"].replace(0, np.nan)
    names = dict(zip(result.communes["commune"].astype(str), result.communes.get("nom", result.communes["commune"])))
    grouped.insert(1, "nom", [names.get(c, "") for c in grouped["commune"]])
    grouped = grouped.drop(columns=["w_time", "w_finite"])
    return grouped.sort_values(["gap", "population"], ascending=False).reset_index(drop=True)


def _notices(summary: SectorSummary, study: Study) -> list[Notice]:
    notices = []
    if summary.communes_without_sector:
        notices.append(Notice(
            "sector_missing", f"{plural(len(summary.communes_without_sector), 'commune', 'communes')} sans secteur "
            f"dans {summary.source} ({fmt_int(summary.population_without_sector)} habitants) : comptées seulement "
            f"pour le lieu le plus proche : {fmt_list(summary.communes_without_sector)}",
            count=len(summary.communes_without_sector), details=list(summary.communes_without_sector)))
    if summary.sites_unknown:
        unknown = list(summary.sites_unknown)
        notices.append(Notice(
            "sector_unknown", f"{plural(len(unknown), 'identifiant de lieu inconnu', 'identifiants de lieu inconnus')}"
            f" dans {summary.source} (aucun lieu de l'étude ne le porte) : {fmt_list(unknown)} ; "
            f"{fmt_int(summary.population_sector_unknown)} habitants des communes rattachées seulement à "
            f"{'lui' if len(unknown) == 1 else 'eux'} sont comptés non couverts par leur lieu de rattachement"
            + _near_hint(unknown, study.sites["site_id"].astype(str)),
            count=len(unknown), details=unknown))
    if summary.sites_unlocated:
        names = dict(zip(study.sites["site_id"].astype(str), study.sites["name"].astype(str)))
        shown = [names.get(s, s) for s in summary.sites_unlocated]
        notices.append(Notice(
            "sector_unlocated", f"{plural(len(shown), 'lieu de secteur', 'lieux de secteur')} qu'aucun habitant de "
            f"{'son' if len(shown) == 1 else 'leur'} secteur n'atteint (à plus de "
            f"{fmt_int(ASSIGNED_LIMIT_S / 3600)} h, "
            f"ou sur un morceau de réseau non relié) : {fmt_list(shown)} ; "
            f"{fmt_int(summary.population_sector_unlocated)} habitants sans lieu de rattachement atteignable sont "
            "comptés non couverts par leur lieu de rattachement", count=len(shown), details=shown))
    return notices


def with_sectors(result: CoverageResult, study: Study, routing: Routing,
                 sites_by_commune: Mapping[str, Sequence[str]], source: str) -> CoverageResult:
    """``result`` carrying its coverage to the assigned sites (and their notices), for every output."""
    sectors = assigned_coverage(study, routing, result, sites_by_commune, source)
    return replace(result, sectors=sectors, notices=list(result.notices) + sectors.notices)


def sector_lines(sectors: AssignedCoverage, threshold_min: float) -> list[str]:
    """French lines on coverage to the assigned site, for the command line and the report."""
    s = sectors.summary
    t = fmt_num(threshold_min)
    lines = [f"Rattachement aux secteurs ({s.source}) : {fmt_int(s.population_covered_assigned)} habitants à "
             f"{t} min ou moins de leur lieu de rattachement, soit {fmt_pct(s.share_covered_assigned, sep=' ')}, "
             f"contre {fmt_pct(s.share_covered_nearest, sep=' ')} pour le lieu le plus proche ; écart : "
             f"{fmt_int(s.population_gap)} habitants ; temps moyen jusqu'au lieu de rattachement "
             f"{fmt_min(s.mean_assigned_min)}",
             f"Habitants dont le lieu le plus proche n'est pas celui de leur secteur : "
             f"{fmt_int(s.population_nearest_elsewhere)}"]
    worst = sectors.communes[sectors.communes["gap"] >= 0.5].head(5)
    if len(worst):
        lines.append("Communes où l'écart est le plus grand : " + " ; ".join(
            f"{r.nom or r.commune} {fmt_int(r.gap)}" for r in worst.itertuples()))
    return lines


def sectorisation_for(study: Study, path=None) -> tuple[dict, str, list[Notice]] | None:
    """The sectorisation of a study: the file given (``--sectors``), else the one shipped for its
    département when the study has its sites (the Finistère's CDAS), else None.

    Returns
    -------
    (dict, str, list of Notice) or None
        Commune code → ids of the sites serving it; where it comes from; the reader's notices
        (split communes, unknown sites, communes without a sector).
    """
    # Imported here as before: the sources package weighs half a second on every command's start.

    if path is not None:
        sectors = read_sectors(path, sites=study.sites, departement=study.departement)
        check_sectorisation(sectors, study, path)
        return sectors.sites_by_commune, Path(path).name, list(sectors.notices)
    if not study.departement:
        return None
    sectors = load_sectors(study.departement, sites=study.sites)
    if sectors is None or not set(sectors.table["site_id"]) & set(study.sites["site_id"].astype(str)):
        return None
    return sectors.sites_by_commune, f"sectorisation livrée {sectors.source}", list(sectors.notices)


def check_sectorisation(sectors: Sectorisation, study: Study, path) -> None:
    """Refuse a sectorisation file that does not describe the study: none of its communes is one of
    the study's (another département), or most of its site ids (more than
    :data:`MAX_UNKNOWN_SHARE` of its rows, or of the population it sectorises) are none of the
    study's sites; the message gives the codes found and expected, or the near matches of the ids
    (« fs-0133 » → « fs-133 »).

    Raises
    ------
    InputError
        Naming the file and the column.
    """
    table = sectors.table
    units = study.demand.units
    name = Path(path).name
    codes = set(table["code_insee"].astype(str))
    unit_communes = units["commune"].astype(str) if "commune" in units.columns else pd.Series("", index=units.index)
    studied = sorted(set(unit_communes) - {"", "nan", "None"})
    if studied and not codes & set(studied):
        raise InputError(f"aucune commune de l'étude dans la sectorisation {name} : "
                         f"{plural(len(codes), 'commune', 'communes')} du fichier ({_few(sorted(codes))}), "
                         f"{plural(len(studied), 'commune', 'communes')} dans l'étude ({_few(studied)})",
                         "donnez la sectorisation des communes du territoire étudié (codes INSEE), ou étudiez le "
                         "territoire de ce fichier (--territory, --departement)", path=path, column="code_insee")
    known = study.sites["site_id"].astype(str)
    unknown_rows = ~table["site_id"].astype(str).isin(set(known)).to_numpy()
    if not unknown_rows.any():
        return
    pop = units["population"].to_numpy(dtype=float)
    by_commune = pd.Series(pop).groupby(unit_communes.to_numpy()).sum()
    lost = [code for code, ids in sectors.sites_by_commune.items() if not set(ids) & set(known)]
    in_file = by_commune.reindex(sorted(codes)).fillna(0.0)
    pop_share = float(in_file.reindex(lost).fillna(0.0).sum() / in_file.sum()) if in_file.sum() > 0 else 0.0
    row_share = float(unknown_rows.mean())
    if row_share <= MAX_UNKNOWN_SHARE and pop_share <= MAX_UNKNOWN_SHARE:
        return
    unknown = list(dict.fromkeys(table.loc[unknown_rows, "site_id"].astype(str)))
    hint = _near_hint(unknown, known)
    if unknown_rows.all():
        problem = (f"aucun identifiant de lieu de la sectorisation n'est un des lieux d'accueil de l'étude (par ex. "
                   f"« {unknown[0]} »){hint}")
    else:
        problem = (f"{plural(int(unknown_rows.sum()), 'ligne', 'lignes')} sur {len(table)} de la sectorisation "
                   f"({fmt_pct(row_share, 0)} ; {fmt_pct(pop_share, 0)} de la population sectorisée) rattachent "
                   f"leur commune à un lieu inconnu de l'étude, par ex. {fmt_list([f'« {u} »' for u in unknown], 3)}"
                   f"{hint}")
    raise InputError(problem, "reprenez les identifiants (site_id) des lieux de l'étude, par ex. "
                     + ", ".join(f"« {i} »" for i in known.head(3)) + " (couche « sites » du GeoPackage de coverage), "
                     "ou ajoutez le fichier de ces lieux avec --sites", path=path, column="site_id")


def _plain_id(text: str) -> str:
    """An id reduced for comparison: lower case, letters and digits only, no leading zeros in numbers
    (« FS-0133 », « fs_133 » and « fs 133 » all give « fs133 »)."""
    words = re.findall(r"[a-z]+|\d+", str(text).lower())
    return "".join((w.lstrip("0") or "0") if w.isdigit() else w for w in words)


def near_matches(unknown, known) -> dict[str, str]:
    """For each unknown site id, the known id it was probably meant to be: the same once case,
    punctuation and leading zeros are set aside, else the closest spelling (difflib, ratio ≥ 0.8).

    Parameters
    ----------
    unknown, known : iterable of str

    Returns
    -------
    dict
        Unknown id → known id, for those with a near match only.
    """
    known = [str(k) for k in known]
    plain: dict[str, str] = {}
    for k in known:
        plain.setdefault(_plain_id(k), k)
    out = {}
    for u in map(str, unknown):
        match = plain.get(_plain_id(u))
        if match is None:
            close = get_close_matches(u, known, n=1, cutoff=0.8)
            match = close[0] if close else None
        if match is not None:
            out[u] = match
    return out


def _near_hint(unknown, known) -> str:
    """« ; identifiants proches de ceux de l'étude : « fs-0133 » → « fs-133 »… » (empty without any)."""
    near = near_matches(unknown, known)
    return (" ; identifiants proches de ceux de l'étude : "
            + fmt_list([f"« {u} » → « {k} »" for u, k in near.items()], limit=4)) if near else ""


def _few(codes: list[str], n: int = 4) -> str:
    """The first codes of a list, « 29001, 29002, 29003, 29004… »."""
    return ", ".join(codes[:n]) + ("…" if len(codes) > n else "")


def with_study_sectors(result: CoverageResult, study: Study, routing: Routing, path=None) -> CoverageResult:
    """``result`` with coverage to the assigned sites when the study has a sectorisation (see
    :func:`sectorisation_for`); unchanged otherwise."""
    found = sectorisation_for(study, path)
    if found is None:
        return result
    mapping, source, notices = found
    result = with_sectors(result, study, routing, mapping, source)
    return replace(result, notices=list(result.notices) + notices)
