"""Files written safely (atomically, never half-written), system errors said in French, values made JSON-ready.

No pandas here: the commands that only read a manifest or fetch a file start fast.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from access30.base.errors import InputError


def split_layer(path: str | Path) -> tuple[Path, str | None]:
    """Split ``FICHIER:couche`` (a GeoPackage layer, a workbook sheet) into the file and the layer name.

    A path that exists is returned whole (no layer), so that names holding a colon still work.
    """
    path = Path(path)
    if path.exists() or ":" not in path.name:
        return path, None
    base, _, layer = str(path).rpartition(":")
    if base and Path(base).is_file() and layer:
        return Path(base), layer
    return path, None


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
                         "créez le dossier ou choisissez un autre dossier", path=path.parent, folder=True)
    if not os.access(path.parent, os.W_OK):
        raise InputError("dossier de sortie non accessible en écriture",
                         "choisissez un dossier où vous avez les droits d'écriture", path=path.parent, folder=True)
    # Keep the real extension last: GDAL checks it (a .gpkg must end in .gpkg).
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.part-", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise write_error(exc, path) from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL refuse to open an existing empty file
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise write_error(exc, path) from None
    except RuntimeError as exc:
        # GDAL (through pyogrio) reports a full disk as "Failed to commit transaction", not ENOSPC.
        if not type(exc).__module__.startswith("pyogrio"):
            raise
        raise write_error(exc, path) from None
    finally:
        if tmp.exists():
            tmp.unlink()


#: The reasons of the common system errors, in French (the system's own text is English).
_OS_REASONS = {
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOTDIR: "un élément du chemin est un fichier, pas un dossier",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "disque ou dossier en lecture seule",
    errno.EEXIST: "un fichier ou un dossier de ce nom existe déjà",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EBUSY: "fichier ou dossier occupé par un autre programme",
    errno.ETXTBSY: "fichier occupé par un autre programme",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.ENFILE: "trop de fichiers ouverts sur le système",
    errno.ELOOP: "trop de liens symboliques (une boucle ?)",
    errno.EXDEV: "déplacement impossible d'un disque à un autre",
    errno.EINVAL: "nom de fichier ou opération invalide",
    errno.ENOTEMPTY: "le dossier n'est pas vide",
    errno.EFBIG: "fichier trop volumineux pour ce disque",
    errno.ENODEV: "périphérique absent",
    errno.ENXIO: "périphérique absent",
}
if hasattr(errno, "EDQUOT"):  # not on every system
    _OS_REASONS[errno.EDQUOT] = "quota de disque dépassé"


def os_reason(exc: BaseException) -> str:
    """Why a file operation failed, in French, from the error number (never the system's English text).

    Parameters
    ----------
    exc : BaseException
        An :class:`OSError` (its ``errno`` is read) or the error of a library that writes files
        (GDAL through pyogrio reports without an error number).

    Returns
    -------
    str
        For example « permission refusée », « c'est un dossier, pas un fichier », « disque plein ».
    """
    number = getattr(exc, "errno", None)
    if isinstance(number, int):
        return _OS_REASONS.get(number, f"erreur système n° {number}")
    if type(exc).__module__.startswith("pyogrio"):
        return "erreur de la bibliothèque GDAL pendant l'écriture"
    return f"erreur inattendue ({type(exc).__name__})"


def write_error(exc: Exception, path: Path) -> InputError:
    """The user-facing error of a failed write (disk full, permission, I/O), its reason in French."""
    try:
        full = shutil.disk_usage(path.parent).free < 1024 * 1024
    except OSError:
        full = False
    if getattr(exc, "errno", None) in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)) or full:
        return InputError("disque plein pendant l'écriture", "libérez de la place et relancez ; "
                          "l'ancien fichier, s'il existait, est intact", path=path)
    return InputError(f"écriture impossible ({os_reason(exc)})",
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
