"""Safe reading of user tables and atomic writing of outputs.

Uploaded files are parsed with pandas/pyogrio readers only: nothing is unpickled or evaluated.
Tables come as planners keep them: CSV exported by a spreadsheet or a GIS whatever its separator
(comma, semicolon, tab), decimal mark (point or comma) and encoding (UTF-8 with or without BOM,
Latin-1/Windows-1252), or an Excel (.xlsx, .xls) or LibreOffice (.ods) workbook, with title lines
above the header. Column names are matched whatever their case, accents, spacing and units in
brackets (« Latitude (WGS84) » is « latitude »).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError
from .fmt import plural

MAX_TABLE_ROWS = 2_000_000
VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ".gz"}
#: Lines looked at to find the header below title lines.
_HEADER_SCAN_ROWS = 20


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("encodage du texte non reconnu", "enregistrez le fichier en UTF-8", path=path)


def normalise_name(name) -> str:
    """A column name reduced for matching: lower case, no accents, no units in brackets, single spaces."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
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


def read_table(path: str | Path, max_rows: int = MAX_TABLE_ROWS, what: str = "lignes") -> pd.DataFrame:
    """Read a table (CSV, CSV.GZ, XLSX, XLS, ODS) into a DataFrame of strings.

    Parameters
    ----------
    path : str or Path
        The file.
    max_rows : int
        Refuse files with more data rows than this (only ``max_rows + 1`` rows are parsed).
    what : str
        What a row is, in French, for the error message (``"lignes"``, ``"lieux"``…).

    Returns
    -------
    DataFrame
        All columns as strings (so that codes such as ``01001`` keep their leading zero; callers
        convert numbers with :func:`to_number`), column names stripped of spaces and BOM, empty
        rows and unnamed empty columns dropped.

    Raises
    ------
    InputError
        Missing or empty file, header only, more than ``max_rows`` rows, unreadable workbook.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("fichier introuvable", "vérifiez le chemin", path=path)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        frame = _read_spreadsheet(path, max_rows)
    else:
        frame = _read_text_table(path, max_rows)
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    frame = frame.loc[:, [not (c.startswith("Unnamed:") or c in ("", "nan")) or (frame[c].str.strip() != "").any()
                          for c in frame.columns]]
    frame = frame[(frame.apply(lambda col: col.str.strip() != "")).any(axis=1)].reset_index(drop=True)
    if frame.empty:
        raise InputError("le fichier ne contient que l'en-tête, aucune ligne de données",
                         "ajoutez au moins une ligne", path=path)
    if len(frame) > max_rows:
        raise InputError(f"plus de {max_rows:,} {what}".replace(",", " "),
                         "découpez le fichier ou agrégez les données", path=path)
    return frame


def _read_text_table(path: Path, max_rows: int) -> pd.DataFrame:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except OSError:
            raise InputError("archive gzip illisible", "fournissez un CSV ou un .csv.gz valide", path=path) from None
    if raw[:4] == b"PK\x03\x04" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError("ce fichier est un classeur (Excel ou LibreOffice), pas un CSV",
                         "donnez-lui l'extension .xlsx, .xls ou .ods, ou enregistrez-le en CSV", path=path)
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
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"CSV mal formé ({str(exc).splitlines()[0]})",
                         "vérifiez le séparateur et les guillemets", path=path) from None
    return frame


def _separator(lines: list[str]) -> str:
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {sep: sum(line.count(sep) for line in lines) for sep in ";,\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_spreadsheet(path: Path, max_rows: int) -> pd.DataFrame:
    """The first sheet holding a table (header found below any title lines), as strings."""
    engine = "odf" if path.suffix.lower() == ".ods" else None
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
    for name, sheet in sheets.items():
        sheet = sheet.fillna("").astype(str)
        sheet = sheet.loc[:, (sheet.apply(lambda col: col.str.strip() != "")).any(axis=0)]
        if sheet.shape[0] < 2 or sheet.shape[1] < 1:
            continue
        start = _header_row(sheet.head(_HEADER_SCAN_ROWS).to_numpy().tolist())
        header = [cell.strip() or f"Unnamed: {j}" for j, cell in enumerate(sheet.iloc[start])]
        body = sheet.iloc[start + 1:].reset_index(drop=True)
        body.columns = header
        return body.map(_spreadsheet_text)
    raise InputError(f"aucun tableau dans le classeur (feuilles : {', '.join(map(str, sheets))})",
                     "mettez le tableau (une ligne d'en-tête puis une ligne par lieu) dans la première feuille",
                     path=path)


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


def read_vector(path: str | Path, layer: str | None = None):
    """Read a GeoPackage, GeoJSON, Shapefile or FlatGeobuf with pyogrio into a GeoDataFrame."""
    import geopandas as gpd

    path = Path(path)
    if not path.is_file():
        raise InputError("fichier introuvable", "vérifiez le chemin", path=path)
    if path.stat().st_size == 0:
        raise InputError("le fichier est vide", "fournissez une couche géographique non vide", path=path)
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError, DataLayerError, ValueError…
        raise InputError(f"couche géographique illisible ({str(exc).splitlines()[0][:200]})",
                         "vérifiez le format (GeoPackage, GeoJSON) et le nom de couche", path=path) from None
    if frame.empty:
        raise InputError("la couche ne contient aucune entité", "fournissez une couche non vide", path=path)
    if frame.crs is None:
        raise InputError("la couche n'a pas de système de coordonnées (CRS)",
                         "définissez-le dans votre SIG (par ex. EPSG:2154 ou EPSG:4326) et réexportez",
                         path=path)
    return frame


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    An interrupted or failed write never leaves a half-written file under the final name, and the
    temporary file is removed.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError("dossier de sortie inexistant" if not path.parent.exists() else
                         "le chemin de sortie passe par un fichier, pas un dossier",
                         "créez le dossier ou choisissez un autre dossier", path=path.parent)
    if not os.access(path.parent, os.W_OK):
        raise InputError("dossier de sortie non accessible en écriture",
                         "choisissez un dossier où vous avez les droits d'écriture", path=path.parent)
    # Keep the real extension last: GDAL checks it (a .gpkg must end in .gpkg).
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.part-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise _write_error(exc, path) from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to open an existing empty file
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise _write_error(exc, path) from None
    except RuntimeError as exc:
        # GDAL (through pyogrio) reports a full disk as "Failed to commit transaction", not ENOSPC.
        if not type(exc).__module__.startswith("pyogrio"):
            raise
        raise _write_error(exc, path) from None
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_error(exc: Exception, path: Path) -> InputError:
    """The user-facing error of a failed write (disk full, permission, I/O)."""
    import shutil

    try:
        full = shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        full = False
    if getattr(exc, "errno", None) == 28 or full:  # ENOSPC
        return InputError("disque plein pendant l'écriture", "libérez de la place et relancez ; "
                          "l'ancien fichier, s'il existait, est intact", path=path)
    reason = getattr(exc, "strerror", None) or (str(exc).splitlines() or [type(exc).__name__])[0][:200]
    return InputError(f"écriture impossible ({reason})",
                      "vérifiez le dossier de sortie, vos droits et la place disponible ; "
                      "l'ancien fichier, s'il existait, est intact", path=path)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write a text file atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def jsonable(value):
    """Convert NumPy scalars, arrays and non-finite floats into plain JSON values (NaN/inf → None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value
