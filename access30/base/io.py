"""Safe reading of user tables and atomic writing of outputs.

Uploaded files are parsed with pandas/pyogrio readers only: nothing is unpickled or evaluated.
Tables come as planners keep them: CSV exported by a spreadsheet or a GIS whatever its separator
(comma, semicolon, tab), decimal mark (point or comma) and encoding (UTF-8 with or without BOM,
Latin-1/Windows-1252), or an Excel (.xlsx, .xls) or LibreOffice (.ods) workbook, with title lines
above the header. Column names are matched whatever their case, accents, spacing and units in
brackets (« Latitude (WGS84) » is « latitude »).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio

from access30.base.errors import InputError
from access30.base.files import split_layer
from access30.base.fmt import plural

MAX_TABLE_ROWS = 2_000_000
VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".kml", ".kmz", ".gpx"}
#: Files inside a .zip archive that make it a layer (a zipped Shapefile, GeoPackage…).
_ZIPPED_VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".kml")
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".gz"}
#: Lines looked at to find the header below title lines.
_HEADER_SCAN_ROWS = 20


def _decode(raw: bytes, path: Path) -> str:
    """Text of a table file: UTF-16/32 (with a BOM, or the NUL bytes of UTF-16 without one), UTF-8 with or
    without BOM, Windows-1252, Latin-1."""
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                          (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                break
    head = raw[:4000]
    if head and head.count(0) > len(head) // 4:  # UTF-16 without BOM: every other byte is NUL
        encoding = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise InputError("encodage du texte non reconnu", "enregistrez le fichier en CSV UTF-8", path=path)


def normalise_name(name) -> str:
    """A column name reduced for matching: lower case, no accents, no units in brackets, single spaces."""
    text = re.sub(r"[’‘ʼ´`'\u2010-\u2015]", " ", str(name))  # « d’action », « Saint‑Brieuc »: a word break
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _header_row(rows: list[list[str]]) -> int:
    """Index of the header among the first rows: the first one nearly as full as the fullest.

    Title lines (« Liste des CCAS — mise à jour 2025 ») fill one cell; the header fills most.
    """
    filled = [sum(1 for cell in row if str(cell).strip() not in ("", "nan", "None")) for row in rows]
    if not filled:
        return 0
    need = max(2, int(np.ceil(0.6 * max(filled))))
    return next((i for i, count in enumerate(filled) if count >= need), 0)


def file_kind(path: str | Path) -> str:
    """What a file holds, read from its first bytes rather than its extension.

    Returns
    -------
    str
        ``"xlsx"``, ``"xls"``, ``"ods"``, ``"zip"`` (another archive), ``"html"`` (a web page saved
        as .xls by some portals), ``"vector"`` (by extension: GeoPackage, GeoJSON, KML…, or a .zip
        holding one) or ``"text"``.
    """
    path, _ = split_layer(path)
    if path.suffix.lower() in VECTOR_SUFFIXES:
        return "vector"
    try:
        with open(path, "rb") as handle:
            head = handle.read(2048)
    except OSError:
        return "text"
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if "[Content_Types].xml" in names:
                    return "xlsx"
                if "mimetype" in names and b"spreadsheet" in archive.read("mimetype"):
                    return "ods"
        except (zipfile.BadZipFile, OSError):
            return "zip"
        return "vector" if any(n.lower().endswith(_ZIPPED_VECTOR_SUFFIXES) for n in names) else "zip"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<table")) or (
            lowered.startswith(b"<") and b"<table" in lowered):
        return "html"
    return "text"


#: Binary formats recognised by their first bytes: (signature, offset, what the file is, in French).
_SIGNATURES = (
    (b"SQLite format 3\x00", 0, "une base SQLite"),
    (b"PAR1", 0, "un fichier Parquet"),
    (b"\x1f\x8b", 0, "une archive gzip"),
    (b"%PDF", 0, "un document PDF"),
    (b"\x89PNG\r\n\x1a\n", 0, "une image PNG"),
    (b"\xff\xd8\xff", 0, "une image JPEG"),
    (b"GIF8", 0, "une image GIF"),
    (b"II*\x00", 0, "une image TIFF"),
    (b"MM\x00*", 0, "une image TIFF"),
    (b"7z\xbc\xaf\x27\x1c", 0, "une archive 7-Zip"),
    (b"Rar!\x1a\x07", 0, "une archive RAR"),
    (b"\xfd7zXZ\x00", 0, "une archive xz"),
    (b"BZh", 0, "une archive bzip2"),
    (b"\x00\x00\x27\x0a", 0, "la géométrie d'un Shapefile (.shp)"),
    (b"fgb\x03", 0, "une couche FlatGeobuf"),
    (b"ARROW1", 0, "un fichier Arrow (Feather)"),
    (b"\x89HDF\r\n\x1a\n", 0, "un fichier HDF5 ou NetCDF"),
    (b"CDF\x01", 0, "un fichier NetCDF"),
    (b"CDF\x02", 0, "un fichier NetCDF"),
    (b"PK\x03\x04", 0, "une archive zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 0, "un classeur Excel ancien (.xls)"),
)
#: The geographic layers among them (given where a table is expected: said to go to a layer option).
_GEOGRAPHIC = ("une couche géographique", "un GeoPackage", "la géométrie d'un Shapefile (.shp)",
               "une couche FlatGeobuf")


def binary_format(head: bytes | str | Path) -> str | None:
    """What a binary file is, in French, read from its first bytes (``None`` for text or unknown).

    Parameters
    ----------
    head : bytes, str or Path
        The first bytes of the file (at least 100), or the file itself.

    Returns
    -------
    str or None
        « un GeoPackage », « un extrait OpenStreetMap (.osm.pbf) », « un fichier Parquet »,
        « une archive gzip », « un document PDF », « une image PNG »…
    """
    if not isinstance(head, bytes):
        try:
            with open(split_layer(head)[0], "rb") as handle:
                head = handle.read(128)
        except OSError:
            return None
    if head.startswith(b"SQLite format 3\x00"):
        return "un GeoPackage" if head[68:72] in (b"GPKG", b"GP10", b"GP11") else "une base SQLite"
    if b"OSMHeader" in head[4:24]:  # a PBF blob header: 4-byte length, then the type « OSMHeader »
        return "un extrait OpenStreetMap (.osm.pbf)"
    for signature, offset, what in _SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return what
    return None


def _not_a_table(what: str, path: Path) -> InputError:
    """The error of a binary file given where a table (CSV, XLSX, ODS) is expected."""
    if what in _GEOGRAPHIC:
        fix = "exportez la table en CSV depuis votre SIG ; une couche géographique se donne à --sites, --population " \
              "ou --communes"
        if what == "un GeoPackage" and path.suffix.lower() != ".gpkg":
            fix += f" (avec l'extension .gpkg : renommez « {path.name} »)"
    elif what.startswith("un extrait OpenStreetMap"):
        fix = "un extrait OpenStreetMap se donne à --network ; ici, donnez un tableau"
    elif what == "une archive zip":
        fix = "décompressez-la et donnez le tableau qu'elle contient (un flux GTFS se donne à --gtfs)"
    elif what.startswith("une archive"):
        fix = "décompressez-la et donnez le tableau qu'elle contient"
    else:
        fix = "donnez le tableau lui-même, enregistré depuis votre tableur en CSV, XLSX ou ODS"
    return InputError(f"ce fichier est {what} : un tableau (CSV, XLSX ou ODS) est attendu ici", fix, path=path)


def is_vector(path: str | Path) -> bool:
    """True for a geographic layer (GeoPackage, GeoJSON, Shapefile, KML…, or a .zip holding one)."""
    return file_kind(path) == "vector"


def read_table(path: str | Path, max_rows: int = MAX_TABLE_ROWS, what: str = "lignes",
               prefer: Callable[[list[str]], bool] | None = None) -> pd.DataFrame:
    """Read a table (CSV, CSV.GZ, XLSX, XLS, ODS) into a DataFrame of strings.

    The reader follows the file's content, not its extension (a CSV or an .xlsx saved as .xls is
    read as what it is). ``FICHIER:feuille`` names the sheet of a workbook.

    Parameters
    ----------
    path : str or Path
        The file.
    max_rows : int
        Refuse files with more data rows than this (only ``max_rows + 1`` rows are parsed).
    what : str
        What a row is, in French, for the error message (``"lignes"``, ``"lieux"``…).
    prefer : callable, optional
        Given a sheet's column names, True for the sheet wanted: of a workbook's sheets, the first
        for which it holds is read (a « Lisez-moi » sheet before the table is passed over), else
        the first sheet holding a table.

    Returns
    -------
    DataFrame
        All columns as strings (so that codes such as ``01001`` keep their leading zero; callers
        convert numbers with :func:`to_number`), column names stripped of spaces and BOM, empty
        rows and unnamed empty columns dropped. For a workbook, ``attrs["sheet"]`` names the
        sheet read and ``attrs["sheets"]`` lists them all.

    Raises
    ------
    InputError
        Missing or empty file, header only, more than ``max_rows`` rows, unreadable workbook.
    """
    path, sheet = split_layer(path)
    if not path.is_file():
        raise InputError("fichier introuvable", "vérifiez le chemin", path=path)
    kind = file_kind(path)
    if kind in ("xlsx", "xls", "ods"):
        frame = _read_spreadsheet(path, max_rows, kind, prefer, sheet)
    elif kind == "html":
        raise InputError("ce fichier est une page web (HTML) enregistrée avec une extension de tableur",
                         "ouvrez-le dans votre tableur et enregistrez-le en .xlsx, .ods ou CSV", path=path)
    elif kind == "zip":
        raise InputError("archive .zip sans couche géographique (Shapefile, GeoPackage, GeoJSON, KML)",
                         "décompressez-la et donnez le fichier qu'elle contient", path=path)
    elif kind == "vector":  # by its extension (GeoJSON, KML…) or a .zip holding a layer
        what = binary_format(path)
        raise _not_a_table(what if what not in (None, "une archive zip") else "une couche géographique", path)
    else:
        frame = _read_text_table(path, max_rows)
    attrs = dict(frame.attrs)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame = frame.loc[:, [not (c.startswith("Unnamed:") or c in ("", "nan")) or (frame[c].str.strip() != "").any()
                          for c in frame.columns]]
    frame = frame[(frame.apply(lambda col: col.str.strip() != "")).any(axis=1)].reset_index(drop=True)
    frame.attrs.update(attrs)
    if frame.empty:
        raise InputError("le fichier ne contient que l'en-tête, aucune ligne de données",
                         "ajoutez au moins une ligne", path=path)
    if len(frame) > max_rows:
        raise InputError(f"plus de {max_rows:,} {what}".replace(",", " "),
                         "découpez le fichier ou agrégez les données", path=path)
    return frame


def _read_text_table(path: Path, max_rows: int) -> pd.DataFrame:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz" or raw[:2] == b"\x1f\x8b":  # a gzipped CSV, whatever its name

        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise InputError("archive gzip illisible", "fournissez un CSV ou un .csv.gz valide", path=path) from None
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError("ce fichier est un classeur (Excel ou LibreOffice), pas un CSV",
                         "donnez-lui l'extension .xlsx, .xls ou .ods, ou enregistrez-le en CSV", path=path)
    what = binary_format(raw[:128])
    if what is not None:
        raise _not_a_table(what, path)
    text = _decode(raw, path)
    if not text.strip():
        raise InputError("le fichier est vide", "fournissez un CSV avec une ligne d'en-tête et des données",
                         path=path)
    lines = text.splitlines()
    head = lines[:_HEADER_SCAN_ROWS]
    separator = _separator(head)
    start = _header_row(list(csv.reader(head, delimiter=separator)))
    if start:  # title lines above the header: sniff again on the table itself
        separator = _separator(lines[start:start + _HEADER_SCAN_ROWS])
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                            skipinitialspace=True, nrows=max_rows + 1, skiprows=start)
    except (pd.errors.ParserError, ValueError):
        frame = _read_ragged(text, separator, start, max_rows, path)
    return frame


def _read_ragged(text: str, separator: str, start: int, max_rows: int, path: Path) -> pd.DataFrame:
    """A CSV whose rows do not all have the header's number of cells (spreadsheet exports add empty
    cells to some rows, notes below the table fill fewer): short rows are padded, extra cells
    dropped when empty; a row with more filled cells than the header is refused, its line named."""
    lines = text.splitlines(keepends=True)[start:]
    reader = csv.reader(io.StringIO("".join(lines)), delimiter=separator, skipinitialspace=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"CSV mal formé ({exc})", "vérifiez le séparateur et les guillemets", path=path) from None
    width = len(header)
    rows = []
    try:
        for row in reader:
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                raise InputError(f"{len(row)} valeurs pour {width} colonnes d'en-tête (séparateur « {separator} » "
                                 "dans une valeur sans guillemets ?)",
                                 "mettez entre guillemets les valeurs qui contiennent le séparateur, ou "
                                 "supprimez les valeurs en trop", path=path, row=reader.line_num - 1)
            rows.append((row + [""] * width)[:width])
            if len(rows) > max_rows:
                break
    except csv.Error as exc:
        raise InputError(f"CSV mal formé ({exc})", "vérifiez le séparateur et les guillemets", path=path,
                         row=reader.line_num - 1) from None
    columns = pd.io.common.dedup_names(header, is_potential_multiindex=False) if hasattr(pd.io, "common") else header
    return pd.DataFrame(rows, columns=[c or f"Unnamed: {j}" for j, c in enumerate(columns)], dtype=str)


def _separator(lines: list[str]) -> str:
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {sep: sum(line.count(sep) for line in lines) for sep in ";,\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_spreadsheet(path: Path, max_rows: int, kind: str = "xlsx",
                      prefer: Callable[[list[str]], bool] | None = None, sheet: str | None = None) -> pd.DataFrame:
    """A workbook's table (header found below any title lines), as strings.

    The sheet named by ``sheet``, else the first for which ``prefer`` holds on its header, else the
    first sheet holding a table.
    """
    engine = {"ods": "odf", "xls": "xlrd", "xlsx": "openpyxl"}[kind]
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, nrows=max_rows + _HEADER_SCAN_ROWS + 1,
                               engine=engine)
    except ImportError as exc:
        raise InputError(f"lecteur de classeur manquant ({exc.name})",
                         "réinstallez access30 (make install) ou enregistrez le classeur en CSV", path=path) from None
    except Exception as exc:  # openpyxl/odf/xlrd raise many kinds on a damaged file
        raise InputError(f"classeur illisible ({exc.__class__.__name__})",
                         "ouvrez-le dans votre tableur et enregistrez-le à nouveau (.xlsx ou .ods), ou en CSV",
                         path=path) from None
    names = [str(name) for name in sheets]
    if sheet is not None and sheet not in names:
        raise InputError(f"feuille « {sheet} » absente du classeur (feuilles : {', '.join(names)})",
                         "écrivez le nom exact de la feuille après le nom du fichier et deux-points, "
                         "par ex. classeur.xlsx:Feuil1", path=path)
    tables = {}
    for name, frame in sheets.items():
        if sheet is not None and str(name) != sheet:
            continue
        frame = frame.fillna("").astype(str)
        frame = frame.loc[:, (frame.apply(lambda col: col.str.strip() != "")).any(axis=0)]
        if frame.shape[0] < 2 or frame.shape[1] < 1:
            continue
        start = _header_row(frame.head(_HEADER_SCAN_ROWS).to_numpy().tolist())
        header = [cell.strip() or f"Unnamed: {j}" for j, cell in enumerate(frame.iloc[start])]
        body = frame.iloc[start + 1:].reset_index(drop=True)
        body.columns = pd.io.common.dedup_names(header, is_potential_multiindex=False)
        tables[str(name)] = (body.map(_spreadsheet_text), start)
    if not tables:
        raise InputError(f"aucun tableau dans le classeur (feuilles : {', '.join(names)})",
                         "mettez le tableau (une ligne d'en-tête puis une ligne par lieu) dans une feuille",
                         path=path)
    chosen = next((name for name, (body, _) in tables.items() if prefer is not None and prefer(list(body.columns))),
                  next(iter(tables)))
    body, start = tables[chosen]
    if kind == "xlsx":
        _check_formulas(path, chosen, body)
    body.attrs["sheet"] = chosen
    body.attrs["sheets"] = names
    return body


def _check_formulas(path: Path, sheet: str, body: pd.DataFrame) -> None:
    """Refuse a workbook whose formulas have no saved value (written by a program, never opened in a
    spreadsheet): their cells would read as empty and the rows be silently lost."""
    if not (body == "").to_numpy().any() or path.stat().st_size > 20_000_000:
        return

    try:
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)[sheet]
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)[sheet]
    except Exception:  # the values were read already; this check is only a safeguard
        return
    missing = [f.coordinate for row_f, row_v in zip(formulas.iter_rows(), values.iter_rows())
               for f, v in zip(row_f, row_v)
               if isinstance(f.value, str) and f.value.startswith("=") and v.value is None]
    if missing:
        raise InputError(f"{plural(len(missing), 'cellule contient une formule', 'cellules contiennent des formules')} "
                         f"sans valeur calculée (d'abord {missing[0]}, feuille « {sheet} ») : le classeur a été "
                         "produit par un programme et jamais recalculé",
                         "ouvrez-le dans votre tableur et enregistrez-le (les valeurs seront calculées), "
                         "ou remplacez les formules par leurs valeurs", path=path)


def _spreadsheet_text(value: str) -> str:
    """Cells as text; whole numbers stored as floats by the workbook lose their ``.0``."""
    text = str(value).strip()
    return text[:-2] if re.fullmatch(r"-?\d+\.0", text) else text


def find_column(frame: pd.DataFrame, candidates: list[str], path: Path | str, what: str,
                required: bool = True, fix: str = "renommez la colonne") -> str | None:
    """Return the first column of ``frame`` whose name matches one of ``candidates``.

    Names are compared with :func:`normalise_name` (case, accents, spacing and bracketed units
    ignored). Raises an :class:`InputError` listing the columns found when none matches and
    ``required``.
    """
    by_name = {}
    for column in frame.columns:
        by_name.setdefault(normalise_name(column), column)
    for name in candidates:
        if normalise_name(name) in by_name:
            return by_name[normalise_name(name)]
    if not required:
        return None
    found = ", ".join(map(str, frame.columns[:30]))
    raise InputError(
        f"colonne {what} absente (attendue : {' ou '.join(candidates[:6])} ; trouvées : {found})",
        fix, path=path, column=candidates[0])


def to_number(values: pd.Series, path: Path | str, column: str, allow_negative: bool = False,
              allow_missing: bool = False, strict: bool = True) -> np.ndarray:
    """Convert a text column to floats, accepting decimal commas and spaces as thousands marks.

    Raises an :class:`InputError` naming the first bad row (1-based, header excluded); with
    ``strict=False`` unreadable values become NaN instead (the caller reads them another way).
    """
    text = values.astype(str).str.strip()
    for mark in ("\u00a0", "\u202f", " ", "'"):  # thousands separators
        text = text.str.replace(mark, "", regex=False)
    if not allow_negative and _dots_mark_thousands(text):
        text = text.str.replace(".", "", regex=False)
    text = text.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if allow_missing:
        bad &= text.to_numpy() != ""
    if bad.any() and strict:
        row = int(np.flatnonzero(bad)[0])
        if text.iloc[row] in ("", "nan", "None", "NaN"):
            raise InputError(f"valeur manquante ({plural(int(bad.sum()), 'ligne', 'lignes')} en tout)",
                             "complétez la valeur (0 si personne n'y vit) ou supprimez ces lignes", path=path,
                             row=row + 1, column=column)
        raise InputError(f"valeur non numérique « {values.iloc[row]} » "
                         f"({plural(int(bad.sum()), 'ligne', 'lignes')} en tout)",
                         "corrigez ou supprimez ces lignes", path=path, row=row + 1, column=column)
    if not allow_negative and (numbers < 0).any():
        row = int(np.flatnonzero(numbers < 0)[0])
        raise InputError(f"valeur négative « {values.iloc[row]} »", "une population ne peut être négative",
                         path=path, row=row + 1, column=column)
    return numbers


def _dots_mark_thousands(text: pd.Series) -> bool:
    """True when the dots of a count column group thousands (« 1.234 », « 12.345.678 », « 1.234,5 »).

    Either a value has several dot groups or a dot before a decimal comma, or the column mixes plain
    integers with values whose only dot is followed by exactly three digits (« 567 », « 1.234 »): a
    decimal column would show other numbers of decimals.
    """
    dotted = text[text.str.contains(".", regex=False)]
    if dotted.empty:
        return False
    if dotted.str.fullmatch(r"[1-9]\d{0,2}(\.\d{3}){2,}(,\d*)?|[1-9]\d{0,2}(\.\d{3})+,\d*").any():
        return True
    plain = text.str.fullmatch(r"\d+")
    return bool(plain.any() and dotted.str.fullmatch(r"[1-9]\d{0,2}(\.\d{3})+").all())


def read_vector(path: str | Path, layer: str | None = None, geometry: str | None = None):
    """Read a GeoPackage, GeoJSON, Shapefile (also zipped), FlatGeobuf, KML or GPX into a GeoDataFrame.

    Parameters
    ----------
    path : str or Path
        The file; ``FICHIER:couche`` names a layer.
    layer : str, optional
        The layer to read (overrides one named in ``path``).
    geometry : {"point", "polygon"}, optional
        The kind of geometry the file must give (points for a site list, polygons for commune
        outlines): of several layers, the only one of that kind is read, and several are refused
        (the user names one).

    Returns
    -------
    GeoDataFrame
        With ``attrs["layer"]`` and ``attrs["layers"]`` when the file has several layers.

    Raises
    ------
    InputError
        Missing, empty or unreadable file, unknown or ambiguous layer, no entity, no CRS.
    """
    path, named = split_layer(path)
    layer = layer or named
    if not path.is_file():
        raise InputError("fichier introuvable", "vérifiez le chemin", path=path)
    if path.stat().st_size == 0:
        raise InputError("le fichier est vide", "fournissez une couche géographique non vide", path=path)
    source = str(path)
    if path.suffix.lower() == ".zip" or file_kind(path) == "vector" and path.suffix.lower() not in VECTOR_SUFFIXES:
        source = _zipped_layer(path)
    try:
        layers = [(str(name), str(kind)) for name, kind in pyogrio.list_layers(source)]
    except Exception as exc:
        raise InputError(f"couche géographique illisible ({str(exc).splitlines()[0][:200]})",
                         "vérifiez le format (GeoPackage, GeoJSON, Shapefile, KML)", path=path) from None
    names = [name for name, _ in layers]
    if layer is not None and layer not in names:
        raise InputError(f"couche « {layer} » absente (couches : {', '.join(names)})",
                         "écrivez le nom exact de la couche après le nom du fichier et deux-points, "
                         f"par ex. {path.name}:{names[0] if names else 'couche'}", path=path)
    if layer is None and len(layers) > 1:
        wanted = [name for name, kind in layers if geometry is None or geometry in kind.lower()]
        if geometry is not None and len(wanted) != 1:
            noun = {"point": "points", "polygon": "polygones"}[geometry]
            what = f"aucune couche de {noun}" if not wanted else f"{len(wanted)} couches de {noun}"
            raise InputError(f"{what} parmi les {len(layers)} couches du fichier "
                             f"({', '.join(f'{n} : {k}' for n, k in layers)})",
                             f"indiquez la couche à lire après le nom du fichier et deux-points, par ex. "
                             f"{path.name}:{(wanted or names)[0]}", path=path)
        layer = wanted[0] if wanted else names[0]
    try:
        frame = gpd.read_file(source, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ValueError…
        raise InputError(f"couche géographique illisible ({str(exc).splitlines()[0][:200]})",
                         "vérifiez le format (GeoPackage, GeoJSON) et le nom de couche", path=path) from None
    if len(layers) > 1:
        frame.attrs["layer"] = layer
        frame.attrs["layers"] = names
    if frame.empty:
        raise InputError("la couche ne contient aucune entité", "fournissez une couche non vide", path=path)
    if frame.crs is None:
        raise InputError("la couche n'a pas de système de coordonnées (CRS)",
                         "définissez-le dans votre SIG (par ex. EPSG:2154 ou EPSG:4326) et réexportez "
                         "(pour un Shapefile : joignez le fichier .prj)", path=path)
    return frame


def _zipped_layer(path: Path) -> str:
    """The GDAL path of the one layer file inside a .zip (a zipped Shapefile, GeoPackage…)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [n for n in archive.namelist() if n.lower().endswith(_ZIPPED_VECTOR_SUFFIXES)
                       and not n.startswith("__MACOSX")]
    except zipfile.BadZipFile:
        raise InputError("archive .zip illisible", "décompressez-la et donnez le fichier qu'elle contient",
                         path=path) from None
    if len(members) != 1:
        raise InputError(f"archive .zip avec {len(members)} couches géographiques"
                         + (f" ({', '.join(members[:10])})" if members else ""),
                         "décompressez-la et donnez le fichier de la couche voulue", path=path)
    return f"/vsizip/{path.resolve()}/{members[0]}"



