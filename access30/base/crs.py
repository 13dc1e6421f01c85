"""Choice of a projected CRS in metres for a territory, and coordinate checks."""

from __future__ import annotations

import unicodedata

import numpy as np
from pyproj import CRS, Transformer

# Official projected CRS of France and its overseas départements (IGN), by WGS84 extent.
_TERRITORY_CRS = [
    ((-5.8, 41.0, 10.0, 51.6), "EPSG:2154"),   # metropolitan France: RGF93 / Lambert-93
    ((-61.9, 15.7, -60.9, 16.6), "EPSG:5490"),  # Guadeloupe: RGAF09 / UTM 20N
    ((-61.3, 14.3, -60.7, 15.0), "EPSG:5490"),  # Martinique: RGAF09 / UTM 20N
    ((-54.7, 2.0, -51.5, 6.0), "EPSG:2972"),   # Guyane: RGFG95 / UTM 22N
    ((55.1, -21.5, 56.0, -20.8), "EPSG:2975"),  # La Réunion: RGR92 / UTM 40S
    ((44.9, -13.1, 45.4, -12.5), "EPSG:4471"),  # Mayotte: RGM04 / UTM 38S
]


#: Names planners write for the coordinate systems of French data (normalised: lower case, no
#: spaces, hyphens, slashes or underscores) → their EPSG code.
CRS_ALIASES: dict[str, str] = {
    **dict.fromkeys(["wgs84", "gps", "degres", "latlon", "lonlat", "4326"], "EPSG:4326"),
    **dict.fromkeys(["lambert93", "l93", "rgf93", "rgf93lambert93", "2154"], "EPSG:2154"),
    **dict.fromkeys(["lambert2etendu", "lambertiietendu", "lambert2e", "lambertiie", "l2e", "lii", "27572"],
                    "EPSG:27572"),
    **dict.fromkeys(["utm20", "utm20n", "utm20nord", "rgaf09", "rgaf09utm20n", "antilles", "5490"], "EPSG:5490"),
    **dict.fromkeys(["utm40", "utm40s", "utm40sud", "rgr92", "rgr92utm40s", "reunion", "2975"],
                    "EPSG:2975"),
    **dict.fromkeys(["utm22", "utm22n", "rgfg95", "guyane", "2972"], "EPSG:2972"),
    **dict.fromkeys(["utm38s", "rgm04", "mayotte", "4471"], "EPSG:4471"),
    **dict.fromkeys(["laea", "etrs89laea", "3035"], "EPSG:3035"),
    **dict.fromkeys(["webmercator", "pseudomercator", "3857"], "EPSG:3857"),
}


def crs_option(text: str) -> str:
    """A coordinate system as planners name it (« Lambert 93 », « L93 », « 2154 », « UTM 20N », « WGS84 »)
    → an EPSG code; anything else is returned as given, for pyproj to read (« EPSG:2154 », a WKT)."""
    plain = unicodedata.normalize("NFKD", str(text).strip().lower()).encode("ascii", "ignore").decode()
    key = "".join(ch for ch in plain if ch not in " -_/.")
    key = key.removeprefix("epsg:").removeprefix("epsg")
    return CRS_ALIASES.get(key, str(text).strip())


def local_crs(lon: np.ndarray, lat: np.ndarray) -> str:
    """Projected CRS (metres) suited to points given in WGS84.

    Parameters
    ----------
    lon, lat : array-like
        WGS84 coordinates of the territory (any sample of them).

    Returns
    -------
    str
        The French official CRS when the median point falls in a French territory
        (Lambert-93 for the mainland, the local UTM of each overseas département), else the UTM zone
        of the median point.
    """
    lon0, lat0 = float(np.nanmedian(lon)), float(np.nanmedian(lat))
    for (xmin, ymin, xmax, ymax), code in _TERRITORY_CRS:
        if xmin <= lon0 <= xmax and ymin <= lat0 <= ymax:
            return code
    zone = int((lon0 + 180.0) // 6.0) + 1
    return f"EPSG:{32600 + zone if lat0 >= 0 else 32700 + zone}"


def to_projected(lon: np.ndarray, lat: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitude and latitude arrays to ``crs``."""
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Project coordinates in ``crs`` back to WGS84 longitude and latitude."""
    transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon, lat = transformer.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def is_geographic(crs: str | CRS) -> bool:
    """Whether a CRS has degrees as units."""
    return CRS.from_user_input(crs).is_geographic


#: What each official CRS is called, for messages.
CRS_LABELS = {"EPSG:2154": "Lambert-93", "EPSG:5490": "UTM 20N, Antilles", "EPSG:2972": "UTM 22N, Guyane",
              "EPSG:2975": "UTM 40S, La Réunion", "EPSG:4471": "UTM 38S, Mayotte",
              "EPSG:27572": "Lambert II étendu, ancien"}


def guess_crs(x: np.ndarray, y: np.ndarray) -> list[str]:
    """Official French CRS in which projected coordinates (metres) fall in their own territory.

    Parameters
    ----------
    x, y : array-like
        Projected coordinates of unknown CRS (any sample of them).

    Returns
    -------
    list of str
        EPSG codes (``"EPSG:2154"``…) whose territory holds the median point, best first; empty
        when none does.
    """
    x0, y0 = float(np.nanmedian(x)), float(np.nanmedian(y))
    found = []
    boxes = _TERRITORY_CRS + [((-5.8, 41.0, 10.0, 51.6), "EPSG:27572")]
    for (xmin, ymin, xmax, ymax), code in boxes:
        lon, lat = to_wgs84(np.array([x0]), np.array([y0]), code)
        if xmin <= lon[0] <= xmax and ymin <= lat[0] <= ymax and code not in found:
            found.append(code)
    return found
