"""Safe reading of user tables and atomic writing of outputs.

Uploaded files are parsed with pandas/pyogrio readers only: nothing is unpickled or evaluated.
CSV files from spreadsheets are read whatever their separator (comma, semicolon, tab), decimal mark
(point or comma) and encoding (UTF-8 with or without BOM, Latin-1/Windows-1252).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError

MAX_TABLE_ROWS = 2_000_000
VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb"}


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("encodage du texte non reconnu", "enregistrez le fichier en UTF-8", path=path)


def read_table(path: str | Path, max_rows: int = MAX_TABLE_ROWS, what: str = "lignes") -> pd.DataFrame:
    """Read a CSV exported by a spreadsheet or a GIS into a DataFrame of strings.

    Parameters
    ----------
    path : str or Path
        The CSV file (``.csv``, ``.txt`` or ``.csv.gz``).
    max_rows : int
        Refuse files with more data rows than this (only ``max_rows + 1`` rows are parsed).
    what : str
        What a row is, in French, for the error message (``"lignes"``, ``"lieux"``…).

    Returns
    -------
    DataFrame
        All columns as strings (so that codes such as ``01001`` keep their leading zero; callers
        convert numbers with :func:`to_number`), column names stripped of spaces and BOM.

    Raises
    ------
    InputError
        Missing or empty file, header only, or more than :data:`MAX_TABLE_ROWS` rows.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("fichier introuvable", "vérifiez le chemin", path=path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        import gzip

        try:
            raw = gzip.decompress(raw)
        except OSError:
            raise InputError("archive gzip illisible", "fournissez un CSV ou un .csv.gz valide", path=path) from None
    text = _decode(raw, path)
    if not text.strip():
        raise InputError("le fichier est vide", "fournissez un CSV avec une ligne d'en-tête et des données",
                         path=path)
    first_lines = "\n".join(text.splitlines()[:20])
    try:
        separator = csv.Sniffer().sniff(first_lines, delimiters=",;\t|").delimiter
    except csv.Error:
        separator = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                            skipinitialspace=True, nrows=max_rows + 1)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"CSV mal formé ({str(exc).splitlines()[0]})",
                         "vérifiez le séparateur et les guillemets", path=path) from None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if frame.empty:
        raise InputError("le fichier ne contient que l'en-tête, aucune ligne de données",
                         "ajoutez au moins une ligne", path=path)
    if len(frame) > max_rows:
        raise InputError(f"plus de {max_rows:,} {what}".replace(",", " "),
                         "découpez le fichier ou agrégez les données", path=path)
    return frame


def find_column(frame: pd.DataFrame, candidates: list[str], path: Path | str, what: str,
                required: bool = True) -> str | None:
    """Return the first column of ``frame`` whose name matches one of ``candidates`` (case-blind).

    Raises an :class:`InputError` listing the columns found when none matches and ``required``.
    """
    lower = {c.lower(): c for c in frame.columns}
    for name in candidates:
        if name.lower() in lower:
            return lower[name.lower()]
    if not required:
        return None
    found = ", ".join(map(str, frame.columns[:30]))
    raise InputError(
        f"colonne {what} absente (attendue : {' ou '.join(candidates)} ; trouvées : {found})",
        "renommez la colonne ou indiquez son nom en option", path=path, column=candidates[0])


def to_number(values: pd.Series, path: Path | str, column: str, allow_negative: bool = False,
              allow_missing: bool = False) -> np.ndarray:
    """Convert a text column to floats, accepting decimal commas and spaces as thousands marks.

    Raises an :class:`InputError` naming the first bad row (1-based, header excluded).
    """
    text = values.astype(str).str.strip().str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    text = text.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numbers)
    if allow_missing:
        bad &= text.to_numpy() != ""
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"valeur non numérique « {values.iloc[row]} » ({int(bad.sum())} ligne(s) en tout)",
                         "corrigez ou supprimez ces lignes", path=path, row=row + 1, column=column)
    if not allow_negative and (numbers < 0).any():
        row = int(np.flatnonzero(numbers < 0)[0])
        raise InputError(f"valeur négative « {values.iloc[row]} »", "une population ne peut être négative",
                         path=path, row=row + 1, column=column)
    return numbers


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
