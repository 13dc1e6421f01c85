"""Where a département's road network is published: the Geofabrik regional extracts.

Geofabrik splits France by the regions of before 2016; overseas départements have their own file.
:func:`network_file` describes the extract of a département's region as a file of the cache
(:class:`access30.base.cache.RemoteFile`), fetched by :func:`access30.base.cache.ensure` (progress,
resume, checks, mirror; offline, a French message saying what to fetch by hand and where to put it).
"""

from __future__ import annotations

from pathlib import Path

from access30.base.cache import RemoteFile, source_folder
from access30.base.errors import InputError

GEOFABRIK_FRANCE = "https://download.geofabrik.de/europe/france/{region}-latest.osm.pbf"
GEOFABRIK_PAGE = "https://download.geofabrik.de/europe/france.html"

_REGION_DEPARTEMENTS = {
    "alsace": "67 68", "aquitaine": "24 33 40 47 64", "auvergne": "03 15 43 63",
    "basse-normandie": "14 50 61", "bourgogne": "21 58 71 89", "bretagne": "22 29 35 56",
    "centre": "18 28 36 37 41 45", "champagne-ardenne": "08 10 51 52", "corse": "2A 2B",
    "franche-comte": "25 39 70 90", "haute-normandie": "27 76",
    "ile-de-france": "75 77 78 91 92 93 94 95", "languedoc-roussillon": "11 30 34 48 66",
    "limousin": "19 23 87", "lorraine": "54 55 57 88", "midi-pyrenees": "09 12 31 32 46 65 81 82",
    "nord-pas-de-calais": "59 62", "pays-de-la-loire": "44 49 53 72 85", "picardie": "02 60 80",
    "poitou-charentes": "16 17 79 86", "provence-alpes-cote-d-azur": "04 05 06 13 83 84",
    "rhone-alpes": "01 07 26 38 42 69 73 74", "guadeloupe": "971", "martinique": "972",
    "guyane": "973", "reunion": "974", "mayotte": "976",
}
REGION_OF_DEPARTEMENT = {dep: region for region, deps in _REGION_DEPARTEMENTS.items() for dep in deps.split()}


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
