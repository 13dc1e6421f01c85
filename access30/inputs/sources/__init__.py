"""Loaders of the real first-reception network and of the INSEE 200 m grid.

One module per source; each returns a :class:`SourceResult` whose ``records`` follow the site table
contract of :mod:`access30.inputs.sites` (``site_id, name, type, commune, address, hours, hours_format,
source``) plus ``siret``, ``source_ids``, ``vintage``; records without a usable point are kept, with
the reason, in :attr:`SourceResult.without_coordinates` — never dropped, never geocoded by guess.

======================  ==========================================  ===============================
module                  source                                      public functions
======================  ==========================================  ===============================
``inventories``         shipped files ``data/inventories`` (972,     :func:`load_inventory`,
                        974, 29)                                    :func:`read_inventory`
``sectors``             commune → site sectorisation (29, or a       :func:`commune_sites`,
                        user file ``code_insee,site_id``)           :func:`load_sectors`, :func:`read_sectors`
``dila``                DILA Annuaire de l'administration            :func:`load_dila`
``data_inclusion``      data·inclusion structures export (v0, v1)    :func:`load_data_inclusion`
``osm``                 OpenStreetMap extract (pyosmium)             :func:`read_osm`
``filosofi``            INSEE Filosofi 200 m grid, any département   :func:`load_filosofi_grid`,
                                                                    :func:`grid_or_town_halls`
``merge``               dedupe across sources, priority, report      :func:`merge_sources`
``listing``             a département's sources merged, and written   :func:`assemble_listing`,
                                                                    :func:`write_listing`
======================  ==========================================  ===============================

Source → site type (:data:`access30.inputs.sites.SITE_TYPES`):

* CCAS, CIAS (inventories ``ccas``/``cias``, DILA ``ccas``/``cias``, data·inclusion ``ccas-cias`` /
  ``CCAS``/``CIAS``, OSM names) → ``ccas``;
* MDS, CDAS, EDAS, SDSEI (inventories ``mds``, DILA ``mds``/``cdas``/``edas``/``sdsei``,
  data·inclusion ``maisons-des-solidarites``, ``departements`` when the name says social reception,
  ``MDS``/``CDAS``) → ``polyvalence``;
* centre social (DILA ``centre_social``, data·inclusion ``fcsf``/``CS``) → ``centre_social``;
* France Services (ANCT list, DILA ``france_services``, data·inclusion ``france-service``/``msap``/
  ``RFS``/``MSAP``) → ``france_services``;
* PIMMS (data·inclusion ``pimms-mediation``/``PIMMS``) → ``pimms``;
* town hall (national list, DILA ``mairie``) → ``mairie``, used only as a stand-in for CCAS.

Deduplication and priority: see :mod:`access30.inputs.sources.merge`.
"""

from access30.base.errors import SourceUnavailableError
from access30.inputs.sources._common import EXTRA_COLUMNS, SourceResult, name_similarity, normalise_name
from access30.inputs.sources.data_inclusion import load_data_inclusion
from access30.inputs.sources.dila import load_dila
from access30.inputs.sources.filosofi import FilosofiUnavailable, grid_or_town_halls, load_filosofi_grid
from access30.inputs.sources.listing import (
    SiteListing,
    assemble_listing,
    describe_listing,
    report_notice,
    write_listing,
)
from access30.inputs.sources.merge import SOURCE_PRIORITY, MergeResult, merge_sources, report_fr
from access30.inputs.sources.osm import read_osm
from access30.inputs.sources.sectors import Sectorisation, commune_sites, load_sectors, read_sectors
from access30.inputs.sources.shipped import load_inventory, read_inventory

__all__ = [
    "EXTRA_COLUMNS", "FilosofiUnavailable", "MergeResult", "SOURCE_PRIORITY", "Sectorisation", "SiteListing",
    "SourceResult", "SourceUnavailableError", "assemble_listing", "commune_sites", "describe_listing",
    "grid_or_town_halls", "load_data_inclusion", "load_dila", "load_filosofi_grid", "load_inventory", "load_sectors",
    "merge_sources", "name_similarity", "normalise_name", "read_inventory", "read_osm", "read_sectors", "report_fr",
    "report_notice", "write_listing",
]
