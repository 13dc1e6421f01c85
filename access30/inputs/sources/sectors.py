"""Sectorisation: which site serves which commune (``code_insee,site_id``).

A département's social service is organised in sectors: a resident is expected at *their* CDAS or
MDS, not at the nearest one. A sectorisation file lists, for every commune, the site that serves it.

**Split communes.** A large town may be split between several sites (Brest, 29019, between four
CDAS). Such a commune is listed once per site; this is legitimate, not an error. It keeps one row
per site in :attr:`Sectorisation.table` (``split`` is True, ``sites_in_commune`` counts the sites),
and :attr:`Sectorisation.sites_by_commune` maps its code to every site that serves part of it. The
files give no sub-commune boundary, so callers can only say that a resident of a split commune goes
to *one of* these sites; the natural reading for an access time is the nearest of them, and reports
should say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from access30.base.departements import normalise_departement
from access30.base.errors import InputError, Notice
from access30.base.fmt import plural
from access30.base.io import find_column, read_table
from access30.base.settings import data_path
from access30.inputs.sources._common import national_town_halls
from access30.inputs.sources.shipped import SHIPPED

_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
ISSUE_COLUMNS = ["problem", "code_insee", "site_id", "detail"]


@dataclass
class Sectorisation:
    """A validated sectorisation.

    Attributes
    ----------
    table : DataFrame
        One row per (commune, site): ``code_insee``, ``commune`` (name, when given), ``site_id``,
        ``site_name`` (when given), ``split`` (the commune is shared between sites),
        ``sites_in_commune``.
    issues : DataFrame
        ``problem`` (French), ``code_insee``, ``site_id``, ``detail``: unknown sites, communes
        missing or not in the département, sites serving no commune, repeated rows.
    source : str
        File name.
    notices : list of Notice
    """

    table: pd.DataFrame
    issues: pd.DataFrame
    source: str
    notices: list[Notice] = field(default_factory=list)

    @property
    def sites_by_commune(self) -> dict[str, tuple[str, ...]]:
        """Commune code → the sites serving it (several for a split commune)."""
        grouped = self.table.groupby("code_insee", sort=True)["site_id"]
        return {code: tuple(ids) for code, ids in grouped}

    @property
    def splits(self) -> pd.DataFrame:
        """The split communes: ``code_insee``, ``commune``, ``site_ids`` (« ; »-joined), ``sites_in_commune``."""
        split = self.table[self.table["split"]]
        return (split.groupby(["code_insee", "commune"], sort=True)["site_id"]
                .agg(lambda ids: " ; ".join(ids)).rename("site_ids").reset_index()
                .assign(sites_in_commune=lambda f: f["site_ids"].str.count(";") + 1))


def read_sectors(path: str | Path, sites: pd.DataFrame | None = None,
                 departement: str | None = None) -> Sectorisation:
    """Read and check a sectorisation file (``code_insee,site_id``, optionally ``commune,site_name``).

    Parameters
    ----------
    path : str or Path
        CSV with a commune code column (``code_insee``, ``code_commune``, ``insee``, ``depcom``) and a
        site column (``site_id``, ``id_site``).
    sites : DataFrame, optional
        The sites (``site_id``, optionally ``type``), with or without coordinates: every site id of
        the file must be one of them, and the sites serving no commune are reported (only those of
        the types the file sectorises, when ``type`` is given).
    departement : str, optional
        Check the communes against the national list: communes of the département with no sector,
        and codes that are not communes of the département today (merged or outside).

    Returns
    -------
    Sectorisation

    Raises
    ------
    InputError
        Missing columns, a malformed commune code or an empty site id (row named).
    """
    path = Path(path)
    frame = read_table(path, what="lignes")
    code_col = find_column(frame, ["code_insee", "code_commune", "insee", "depcom", "codgeo"], path,
                           "de code commune INSEE")
    site_col = find_column(frame, ["site_id", "id_site", "lieu_id"], path, "d'identifiant de lieu")
    codes = frame[code_col].str.strip().str.upper()
    malformed = ~codes.str.match(_CODE)
    if malformed.any():
        row = int(np.flatnonzero(malformed.to_numpy())[0])
        raise InputError(f"code commune « {frame[code_col].iloc[row]} » mal formé "
                         f"({plural(int(malformed.sum()), 'ligne', 'lignes')})",
                         "un code INSEE de commune a 5 caractères (29019, 2A004)", path=path, row=row + 1,
                         column=code_col)
    site_ids = frame[site_col].str.strip()
    if (site_ids == "").any():
        row = int(np.flatnonzero((site_ids == "").to_numpy())[0])
        raise InputError("identifiant de lieu vide", "indiquez le lieu (site_id) qui dessert la commune",
                         path=path, row=row + 1, column=site_col)
    name_col = find_column(frame, ["commune", "nom_commune", "libgeo"], path, "commune", required=False)
    site_name_col = find_column(frame, ["site_name", "nom_lieu", "name"], path, "nom", required=False)
    table = pd.DataFrame({
        "code_insee": codes.to_numpy(),
        "commune": frame[name_col].str.strip().to_numpy() if name_col else "",
        "site_id": site_ids.to_numpy(),
        "site_name": frame[site_name_col].str.strip().to_numpy() if site_name_col else "",
    })
    issues: list[tuple[str, str, str, str]] = []
    repeated = table.duplicated(["code_insee", "site_id"])
    for code, site in table.loc[repeated, ["code_insee", "site_id"]].itertuples(index=False):
        issues.append(("ligne en double", code, site, "la même commune est rattachée deux fois au même lieu"))
    table = table.loc[~repeated].reset_index(drop=True)
    counts = table.groupby("code_insee")["site_id"].transform("size")
    table["split"] = counts.to_numpy() > 1
    table["sites_in_commune"] = counts.to_numpy()
    if sites is not None:
        known = set(sites["site_id"].astype(str))
        for site in sorted(set(table["site_id"]) - known):
            n = int((table["site_id"] == site).sum())
            issues.append(("lieu inconnu", "", site,
                           plural(n, "commune rattachée", "communes rattachées")
                           + " à un lieu absent de la liste des lieux"))
        candidates = known
        if "type" in sites.columns:
            # Only sites of the sectorised kind must serve communes (a France Services has no sector).
            types = dict(zip(sites["site_id"].astype(str), sites["type"].astype(str)))
            sectorised = {types[s] for s in set(table["site_id"]) & known}
            candidates = {s for s in known if types[s] in sectorised}
        for site in sorted(candidates - set(table["site_id"])):
            issues.append(("lieu sans secteur", "", site, "aucune commune ne lui est rattachée"))
    if departement is not None:
        dep = normalise_departement(departement)
        halls = national_town_halls()
        listed = halls[halls["departement"] == dep]
        names = dict(zip(listed["code"], listed["nom"]))
        for code in sorted(set(listed["code"]) - set(table["code_insee"])):
            issues.append(("commune sans secteur", code, "", f"{names[code]} (liste nationale des communes)"))
        file_names = dict(zip(table["code_insee"], table["commune"]))
        for code in sorted(set(table["code_insee"]) - set(listed["code"])):
            elsewhere = halls.loc[halls["code"] == code, "departement"]
            detail = (f"commune du département {elsewhere.iloc[0]}" if len(elsewhere)
                      else "code absent de la liste nationale des communes (commune fusionnée ou supprimée depuis ?)")
            issues.append(("commune hors de la liste du département", code, "",
                           f"{file_names.get(code, '')} : {detail}"))
    issue_frame = pd.DataFrame(issues, columns=ISSUE_COLUMNS)
    notices = []
    result = Sectorisation(table, issue_frame, path.name, notices)
    splits = result.splits
    if len(splits):
        notices.append(Notice("sector_split",
                              plural(len(splits), "commune partagée", "communes partagées")
                              + " entre plusieurs lieux (chaque habitant relève de "
                              "l'un d'eux, sans limite infracommunale connue) : "
                              + " ; ".join(f"{r.code_insee} {r.commune} ({r.sites_in_commune} lieux)".replace(" ()", "")
                                          for r in splits.itertuples()),
                              count=len(splits), details=splits["code_insee"].tolist()))
    for problem, group in issue_frame.groupby("problem", sort=False):
        items = [" ".join(x for x in (c, s, d) if x) for c, s, d in
                 group[["code_insee", "site_id", "detail"]].itertuples(index=False)]
        notices.append(Notice("sector_issue", f"Sectorisation {path.name} — {problem} ({len(group)}) : "
                              + "; ".join(items[:6]) + ("…" if len(items) > 6 else ""),
                              count=len(group), details=items))
    return result


def load_sectors(departement: str, sites: pd.DataFrame | None = None) -> Sectorisation | None:
    """The shipped sectorisation of a département (the Finistère's CDAS), checked, or None."""
    code = normalise_departement(departement)
    inventory = SHIPPED.get(code)
    if inventory is None or inventory.sectors is None:
        return None
    return read_sectors(data_path(inventory.sectors), sites=sites, departement=code)


def commune_sites(departement: str) -> pd.DataFrame | None:
    """The shipped sectorisation of a département as a commune → site table, or None when none is
    shipped (only the Finistère, 29, so far).

    Returns
    -------
    DataFrame or None
        ``code_insee``, ``site_id``, ``split`` (the commune is shared between several sites: a
        resident goes to *one of* them, the files give no sub-commune boundary).
    """
    sectors = load_sectors(departement)
    if sectors is None:
        return None
    return sectors.table[["code_insee", "site_id", "split"]].reset_index(drop=True)
