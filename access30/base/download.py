"""Downloading the public inputs a real study needs: OSM extracts and INSEE grids.

These run on a planner's machine with internet. Offline they fail at once with a message that says
what to download by hand and where to put it. Downloads stream to a temporary file renamed at the
end, so an interrupted download never leaves a truncated ``.osm.pbf`` behind.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

from access30.base.errors import InputError, NetworkUnavailableError
from access30.base.io import atomic_path

GEOFABRIK_FRANCE = "https://download.geofabrik.de/europe/france/{region}-latest.osm.pbf"

# Geofabrik splits France by the regions of before 2016; overseas départements have their own file.
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


def download_file(url: str, destination: str | Path, timeout_s: float = 60.0) -> Path:
    """Download ``url`` to ``destination`` atomically and return the path.

    Raises
    ------
    NetworkUnavailableError
        When the server cannot be reached (no internet, proxy, DNS), with what to do by hand.
    """
    destination = Path(destination)
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, atomic_path(destination) as tmp:
            with open(tmp, "wb") as out:
                shutil.copyfileobj(response, out, length=1 << 20)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkUnavailableError(
            f"Téléchargement impossible de {url} ({reason}). Sans connexion internet, téléchargez ce fichier "
            f"depuis un autre poste et placez-le ici : {destination}") from None
    return destination


def download_osm_extract(departement: str, folder: str | Path) -> Path:
    """Download the OSM extract of a département's region into ``folder`` (kept if already there)."""
    url = osm_extract_url(departement)
    destination = Path(folder) / url.rsplit("/", 1)[-1]
    if destination.is_file() and destination.stat().st_size > 0:
        return destination
    Path(folder).mkdir(parents=True, exist_ok=True)
    return download_file(url, destination)
