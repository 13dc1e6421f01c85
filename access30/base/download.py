"""Where a département's road network is published: the Geofabrik regional extracts.

Geofabrik splits France by the regions of before 2016; overseas départements have their own file.
:func:`network_file` describes the extract of a département's region as a file of the cache
(:class:`access30.base.cache.RemoteFile`), fetched by :func:`access30.base.cache.ensure` (progress,
resume, checks, mirror; offline, a French message saying what to fetch by hand and where to put it).
"""

from __future__ import annotations

from pathlib import Path

from access30.base.cache import RemoteFile, source_folder
from access30.base.departements import REGION_OF_DEPARTEMENT
from access30.base.errors import InputError

GEOFABRIK_FRANCE = "https://download.geofabrik.de/europe/france/{region}-latest.osm.pbf"
GEOFABRIK_PAGE = "https://download.geofabrik.de/europe/france.html"


def osm_extract_url(departement: str) -> str:
    """URL of the Geofabrik extract that contains a département (by INSEE code)."""
    code = str(departement).strip().upper().zfill(2)
    if code not in REGION_OF_DEPARTEMENT:
        raise InputError(f"département « {departement} » inconnu",
                         "indiquez un code INSEE de département (01 à 95, 2A, 2B, 971 à 976)",
                         column="--departement")
    return GEOFABRIK_FRANCE.format(region=REGION_OF_DEPARTEMENT[code])


def network_file(departement: str, cache_dir: str | Path | None = None) -> RemoteFile:
    """The Geofabrik extract of a département's region, as a file of the cache (``<cache>/osm/…``).

    Examples
    --------
    >>> network_file("22", "/tmp/cache").url
    'https://download.geofabrik.de/europe/france/bretagne-latest.osm.pbf'
    """
    url = osm_extract_url(departement)
    region = REGION_OF_DEPARTEMENT[str(departement).strip().upper().zfill(2)]
    folder = source_folder("network", cache_dir)
    return RemoteFile("network", url, (folder / url.rsplit("/", 1)[-1],), f"réseau routier OpenStreetMap ({region})",
                      GEOFABRIK_PAGE, "pbf",
                      departements=tuple(d for d, r in REGION_OF_DEPARTEMENT.items() if r == region))
