"""Points from the tables planners keep: coordinate columns in every usual shape.

Accepted, found by name (case, accents and units in brackets ignored):

* longitude and latitude columns (``lon``/``longitude``/``lng``, ``lat``/``latitude``, or ``x``/``y``);
* projected coordinates (``x``/``y``, ``coord_x``/``coord_y``…) with their CRS (``--sites-crs``);
* one combined column (``coordonnées``, ``geo_point_2d``, ``gps``…) holding « latitude, longitude »
  (the order of map applications and open-data portals), a WKT ``POINT (lon lat)`` or a GeoJSON point
  (the « Geo Shape » column of open-data portal exports);
* degrees-minutes-seconds (``48°30'12"N``) and decimal commas.

A table with addresses but no coordinates is refused with the way to geocode it: the Base Adresse
Nationale CSV geocoder returns ``latitude`` and ``longitude`` columns that are read as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from access30.base.crs import CRS_LABELS, guess_crs, is_geographic
from access30.base.errors import InputError
from access30.base.fmt import fmt_int, plural
from access30.base.io import find_column, normalise_name, to_number

LON_NAMES = ["lon", "longitude", "lng", "long", "mairie_lon", "longitude wgs84", "x_wgs84", "lon_wgs84"]
LAT_NAMES = ["lat", "latitude", "mairie_lat", "latitude wgs84", "y_wgs84", "lat_wgs84"]
X_NAMES = ["x", "coord_x", "coordonnee x", "east", "easting", "x_l93", "x lambert", "xl93"]
Y_NAMES = ["y", "coord_y", "coordonnee y", "north", "northing", "y_l93", "y lambert", "yl93"]
COMBINED_NAMES = ["coordonnees", "coordonnees gps", "coordonnees geographiques", "geo_point_2d", "geo_point",
                  "geopoint", "gps", "position", "latlon", "lat lon", "lat_lon", "lat lng", "coordinates",
                  "geolocalisation", "geo", "localisation", "point", "geometry", "geometrie", "geom", "the_geom",
                  "wkt", "coordonnees wgs84", "coordonnees gps wgs84", "latitude longitude", "lat long", "lat/lon",
                  "lat lon wgs84", "position gps", "geo point", "geo shape", "geo_shape", "geoshape", "geojson"]
ADDRESS_NAMES = ["adresse", "address", "adresse postale", "adresse complete", "adresse_complete", "voie",
                 "numero et voie", "rue", "adresse1", "adresse 1", "ligne adresse"]
BAN_FIX = ("géocodez-le avec le service CSV de la Base Adresse Nationale (adresse.data.gouv.fr, « Géocoder un "
           "fichier CSV ») : le fichier rendu a des colonnes latitude et longitude, lues telles quelles")
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")
_WKT = re.compile(r"POINT\s*Z?\s*\(\s*(-?[\d.]+)\s+(-?[\d.]+)", re.IGNORECASE)
#: A GeoJSON point written in a cell (the « Geo Shape » column of open-data portal exports): lon, lat.
_GEOJSON = re.compile(r"[\"']coordinates[\"']\s*:\s*\[\s*(-?[\d.]+(?:e-?\d+)?)\s*,\s*(-?[\d.]+(?:e-?\d+)?)")
_DMS = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*°\s*(?:(\d+(?:[.,]\d+)?)\s*['′’])?\s*(?:(\d+(?:[.,]\d+)?)\s*(?:\"|″|''))?"
                  r"\s*([NSEOW])?\s*$", re.IGNORECASE)


def points_from_table(frame: pd.DataFrame, path: Path | str, crs: str = "EPSG:4326", what: str = "points",
                      allow_missing: bool = False, crs_option: str = "--sites-crs"
                      ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Turn a table with coordinates into points, with the usual mistakes caught.

    Parameters
    ----------
    frame : DataFrame
        The table as read by :func:`access30.base.io.read_table` (strings).
    path : str or Path
        Its file, for messages.
    crs : str
        CRS of the coordinates (WGS84 longitude/latitude by default).
    what : str
        What a row is, in French, for messages.
    allow_missing : bool
        Rows without coordinates are left out (their indices returned) instead of refused.
    crs_option : str
        The option that sets ``crs``, named in messages.

    Returns
    -------
    points : GeoDataFrame
        The rows with coordinates, in ``crs``.
    missing : ndarray of int
        Indices (in ``frame``) of the rows left out for lack of coordinates.

    Raises
    ------
    InputError
        No coordinate column (the columns found listed; addresses only: how to geocode), non-numeric
        coordinates (row named), projected coordinates declared as degrees or the reverse (the CRS
        option suggested), every row without coordinates.
    """
    geographic = is_geographic(crs)
    x, y, columns = _coordinates(frame, path, geographic)
    empty = ~(np.isfinite(x) & np.isfinite(y))
    if empty.any() and (not allow_missing or empty.all()):
        row = int(np.flatnonzero(empty)[0])
        raise InputError(f"coordonnée manquante ({plural(int(empty.sum()), 'ligne', 'lignes')})",
                         "complétez ou supprimez ces lignes" if not empty.all() else BAN_FIX,
                         path=path, row=row + 1, column=columns[0])
    ok = ~empty
    xs, ys = x[ok], y[ok]
    if geographic and ((np.abs(xs) > 180).any() or (np.abs(ys) > 90).any()):
        bad = (np.abs(x) > 180) | (np.abs(y) > 90)

        row = int(np.flatnonzero(bad & ok)[0])
        guesses = guess_crs(xs, ys) or guess_crs(ys, xs)
        if guesses:
            hint = " ou ".join(f"{crs_option} {code} ({CRS_LABELS[code]})" for code in guesses)
            fix = f"indiquez le système de coordonnées du fichier : {hint}"
        else:
            fix = (f"indiquez le système de coordonnées du fichier avec {crs_option} (code EPSG, par ex. "
                   "EPSG:2154 pour Lambert-93)")
        raise InputError(
            f"coordonnées en mètres (ex. {fmt_int(x[row])} ; {fmt_int(y[row])}) lues comme des "
            "degrés (longitude, latitude WGS84)", fix, path=path, row=row + 1, column=columns[0])
    if not geographic and (np.abs(xs) <= 180).all() and (np.abs(ys) <= 90).all():
        raise InputError(f"coordonnées en degrés déclarées dans le CRS projeté {crs}",
                         f"indiquez EPSG:4326 pour des longitudes et latitudes ({crs_option})", path=path,
                         column=columns[0])
    out = frame.loc[ok].copy()
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(xs, ys), crs=crs), np.flatnonzero(empty)


def _coordinates(frame: pd.DataFrame, path, geographic: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """x and y (NaN where empty) and the column(s) they came from."""
    # Every name is tried whatever the CRS: the values' range, checked by the caller, tells degrees
    # from metres (« coord_x » may hold longitudes, « longitude » Lambert-93 metres).
    x_names = LON_NAMES + X_NAMES if geographic else X_NAMES + LON_NAMES
    y_names = LAT_NAMES + Y_NAMES if geographic else Y_NAMES + LAT_NAMES
    xc = find_column(frame, x_names, path, "x", required=False)
    yc = find_column(frame, y_names, path, "y", required=False)
    if xc and yc:
        return _parse_axis(frame[xc], path, xc), _parse_axis(frame[yc], path, yc), [xc, yc]
    combined = find_column(frame, COMBINED_NAMES, path, "coordonnées", required=False)
    if combined:
        x, y = _parse_pairs(frame[combined], path, combined)
        return x, y, [combined]
    address = find_column(frame, ADDRESS_NAMES, path, "adresse", required=False)
    found = ", ".join(map(str, frame.columns[:30]))
    if address:
        raise InputError(f"le fichier donne des adresses mais pas de coordonnées (colonnes : {found})", BAN_FIX,
                         path=path, column=address)
    raise InputError(
        f"colonnes de coordonnées absentes (attendues : longitude et latitude, x et y, ou une colonne "
        f"« coordonnées » ; trouvées : {found})",
        "renommez les colonnes (longitude, latitude) ou ajoutez-les", path=path, column=x_names[0])


def _parse_axis(values: pd.Series, path, column: str) -> np.ndarray:
    """Decimal numbers (decimal comma accepted) or degrees-minutes-seconds; NaN where empty."""
    text = values.astype(str).str.strip()
    empty = (text == "").to_numpy() | text.str.lower().isin(["nan", "none", "null", "na", "n/a"]).to_numpy()
    numbers = np.full(len(text), np.nan)
    filled = np.flatnonzero(~empty)
    if filled.size:
        plain = to_number(text.iloc[filled].where(~text.iloc[filled].str.contains("°"), "x"), path, column,
                          allow_negative=True, allow_missing=True, strict=False)
        numbers[filled] = plain
        for i in filled[~np.isfinite(plain)]:
            numbers[i] = _dms(text.iloc[i], path, column, i)
    return numbers


def _dms(text: str, path, column: str, row: int) -> float:
    match = _DMS.match(text.replace(",", "."))
    if not match:
        raise InputError(f"valeur non numérique « {text} »", "écrivez les coordonnées en degrés décimaux "
                         "(par ex. 48,5123)", path=path, row=row + 1, column=column)
    degrees, minutes, seconds, hemisphere = match.groups()
    value = abs(float(degrees)) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    negative = degrees.startswith("-") or (hemisphere or "").upper() in ("S", "O", "W")
    return -value if negative else value


_DMS_PART = re.compile(r"(-?\d+(?:[.,]\d+)?)\s*°\s*(?:(\d+(?:[.,]\d+)?)\s*['′’]\s*)?"
                       r"(?:(\d+(?:[.,]\d+)?)\s*(?:\"|″|''|”)\s*)?([NSEOW])?", re.IGNORECASE)


def _dms_pair(text: str) -> tuple[float, float] | None:
    """(latitude, longitude) of « 48°30'12"N 2°45'W » (either order when hemispheres say which), else None."""
    parts = _DMS_PART.findall(text)
    if len(parts) != 2:
        return None
    values, axes = [], []
    for degrees, minutes, seconds, hemisphere in parts:
        value = abs(float(degrees.replace(",", "."))) + float((minutes or "0").replace(",", ".")) / 60 \
            + float((seconds or "0").replace(",", ".")) / 3600
        hemisphere = hemisphere.upper()
        values.append(-value if degrees.startswith("-") or hemisphere in ("S", "O", "W") else value)
        axes.append("lat" if hemisphere in ("N", "S") else "lon" if hemisphere in ("E", "O", "W") else "")
    if axes == ["lon", "lat"]:
        return values[1], values[0]
    return values[0], values[1]


def _parse_pairs(values: pd.Series, path, column: str) -> tuple[np.ndarray, np.ndarray]:
    """« lat, lon » pairs, WKT points (lon lat), GeoJSON points or ``{'lat': …, 'lon': …}`` texts."""
    x = np.full(len(values), np.nan)
    y = np.full(len(values), np.nan)
    lon_first = normalise_name(column) in ("lonlat", "lon lat", "x y", "xy")
    for i, raw in enumerate(values.astype(str)):
        text = raw.strip()
        if not text or text.lower() in ("nan", "none", "null"):
            continue
        wkt = _WKT.search(text) or _GEOJSON.search(text)
        if wkt:
            x[i], y[i] = float(wkt.group(1)), float(wkt.group(2))
            continue
        keyed = re.findall(r"['\"]?(lat|lon|lng)['\"]?\s*[:=]\s*(-?[\d.]+)", text, re.IGNORECASE)
        if len(keyed) == 2:
            parts = {k.lower().replace("lng", "lon"): float(v) for k, v in keyed}
            x[i], y[i] = parts.get("lon", np.nan), parts.get("lat", np.nan)
            continue
        if "°" in text:
            pair = _dms_pair(text)
            if pair is not None:
                y[i], x[i] = pair
                continue
        numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall(text)]
        if len(numbers) != 2:
            raise InputError(f"coordonnées illisibles « {raw} »", "écrivez « latitude, longitude » en degrés "
                             "décimaux, par ex. « 48.5123, -2.7601 »", path=path, row=i + 1, column=column)
        first, second = numbers
        x[i], y[i] = (first, second) if lon_first else (second, first)
    return x, y
