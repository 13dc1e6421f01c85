"""Outputs of a command: checked before anything is computed, then written all or nothing.

Two rules hold for every command:

- **No output replaces a file the command reads.** Before any computation, every planned output is
  compared (resolved paths: symlinks, ``./x`` and ``x``, hard links) with the files the user gave
  (``--sites``, ``--population``…) and refused inside the folders that the built-in territories and
  lists read: the shipped data (``data/``, ``ACCESS30_DATA``) and the cache (``ACCESS30_CACHE``,
  ``--cache-dir``). The same check refuses an output that is a folder, has the wrong extension, or
  lies in a folder that is missing or not writable: found now, not after an hour of routing.
- **A run writes all its outputs or none.** :func:`writing_together` gives each output a path in a
  temporary folder beside it (``.access30-part-<pid>-…``); only when every file has been written
  are they moved over the final names, older files being put back if a move fails. Temporary
  folders left by an interrupted run are removed by the next run that writes there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from access30.base import settings
from access30.base.errors import InputError
from access30.base.files import os_reason, split_layer, write_error

#: Prefix of the temporary folders of :func:`writing_together`, followed by the writer's process id.
PART_PREFIX = ".access30-part-"
_PART = re.compile(re.escape(PART_PREFIX) + r"(\d+)-")
#: A temporary folder whose process cannot be checked is left alone this long (seconds).
_STALE_AFTER_S = 2 * 24 * 3600
#: Whether a process id can be checked (``os.kill(pid, 0)``; on Windows it would end the process).
_PROCESSES_KNOWN = os.name == "posix"
#: Longest output file name (bytes): the temporary names add about 30 to it, within the usual 255.
MAX_NAME_BYTES = 200

DATA = "data"
CACHE = "cache"
FILE = "file"


@dataclass(frozen=True)
class Output:
    """A file a command plans to write.

    Attributes
    ----------
    path : Path
        The final path.
    option : str
        The option that names it (``--out``, ``--summary``, ``--out-dir``).
    suffixes : tuple of str
        Extensions accepted (lower case, with the dot); empty: any.
    new_folder : bool
        Its folder is the command's ``--out-dir``, created after the check when missing.
    """

    path: Path
    option: str
    suffixes: tuple[str, ...] = ()
    new_folder: bool = False


@dataclass(frozen=True)
class Source:
    """Something a command reads: a file given by the user, or a folder of built-in data.

    Attributes
    ----------
    path : Path
        The file or folder.
    reader : str
        For a file, the option that reads it (``--sites``); for a folder, where it is set
        (« données du projet », « ACCESS30_DATA », « --cache-dir »…).
    kind : {"file", "data", "cache"}
        A file (no output may be it), or a folder no output may go into.
    """

    path: Path
    reader: str
    kind: str = FILE


def protected_folders(cache_dir: str | Path | None = None) -> list[Source]:
    """The folders read by the built-in territories and lists, into which no command writes.

    Parameters
    ----------
    cache_dir : str or Path, optional
        The command's ``--cache-dir`` (the cache of :func:`access30.base.settings.cache_dir` is always
        included).

    Returns
    -------
    list of Source
        The shipped data (the project's ``data/`` and ``ACCESS30_DATA``), the cache folders.
    """
    folders = [Source(settings.PROJECT_DATA, "données du projet", DATA),
               Source(settings.data_root(), "ACCESS30_DATA", DATA),
               Source(settings.cache_dir(), "ACCESS30_CACHE" if os.environ.get("ACCESS30_CACHE") else
                      "cache par défaut", CACHE)]
    if cache_dir:
        folders.append(Source(Path(cache_dir), "--cache-dir", CACHE))
    return folders


def file_sources(values: Iterable[tuple[str, object]]) -> list[Source]:
    """The files named by the options ``(option, value)`` a command reads; a value may list several
    files separated by commas (``--candidates mairies,lieux.csv``) and name a layer (``f.gpkg:couche``).
    Values that are not existing files (a built-in list's name) are left out."""
    sources = []
    for option, value in values:
        if value is None or value == "":
            continue
        for item in str(value).split(","):
            path, _ = split_layer(item.strip())
            if item.strip() and _exists(path):
                sources.append(Source(path, option))
    return sources


def check_outputs(outputs: Iterable[Output], sources: Iterable[Source]) -> None:
    """Refuse, before anything is computed, an output that would replace something read, or that
    could not be written.

    Parameters
    ----------
    outputs : iterable of Output
        Every file the command will write (all the files of a pack).
    sources : iterable of Source
        What it reads: the user's files and :func:`protected_folders`.

    Raises
    ------
    InputError
        Naming the output and what it would replace (with the option or list that reads it) and the
        fix: an output that is an input, or inside the shipped data or the cache; an output that is
        an existing folder, has an extension not accepted, a name too long, or lies in a folder
        missing, not a folder or not writable; two outputs on the same file.
    """
    outputs = list(outputs)
    sources = list(sources)
    seen: dict[Path, Output] = {}
    for output in outputs:
        path = Path(output.path)
        resolved = _resolved(path)
        for source in sources:
            _refuse_if_replaces(output, path, resolved, source)
        if resolved in seen:
            raise InputError(f"deux sorties sur le même fichier « {os.path.abspath(path)} » "
                             f"({seen[resolved].option} et {output.option})",
                             "donnez-leur des noms différents", column=output.option)
        seen[resolved] = output
        _refuse_if_unwritable(output, path)


def _refuse_if_replaces(output: Output, path: Path, resolved: Path, source: Source) -> None:
    here = os.path.abspath(path)
    if source.kind == FILE:
        if not _same_file(path, resolved, source.path):
            return
        there = os.path.abspath(source.path)
        replaced = "serait remplacé" if there == here else f"remplacerait « {there} » (le même fichier)"
        raise InputError(f"le fichier de sortie est aussi un fichier lu ({source.reader}) : « {here} » {replaced}",
                         "choisissez un autre nom de sortie ou un autre dossier : le fichier lu serait remplacé "
                         "par le résultat", column=output.option)
    folder = _resolved(source.path)
    if resolved != folder and folder not in resolved.parents:
        return
    if source.kind == DATA:
        where = f"le dossier des données livrées « {source.path} » ({source.reader}), lu par les territoires et " \
                "listes intégrés"
    else:
        where = f"le dossier de cache « {source.path} » ({source.reader}), où les réseaux et listes téléchargés " \
                "sont relus"
    replaced = " : elle remplacerait ce fichier existant" if _exists(path) else ""
    raise InputError(f"la sortie « {here} » serait écrite dans {where}{replaced}",
                     "écrivez les sorties dans un autre dossier : aucune commande n'écrit dans ce dossier",
                     column=output.option)


def _refuse_if_unwritable(output: Output, path: Path) -> None:
    option = output.option
    if path.is_dir():
        raise InputError(f"la sortie « {os.path.abspath(path)} » est un dossier existant",
                         f"donnez un nom de fichier{_suffix_hint(output)}, ou déplacez ce dossier", column=option)
    if output.suffixes and path.suffix.lower() not in output.suffixes:
        raise InputError(f"extension « {path.suffix} » non prise en charge", f"utilisez {' ou '.join(output.suffixes)}",
                         path=path, column=option)
    if len(path.name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise InputError(f"nom de fichier de sortie trop long ({len(path.name)} caractères)",
                         f"choisissez un nom de moins de {MAX_NAME_BYTES} caractères", path=path, column=option)
    parent = path.parent
    if not parent.exists():
        blocking = next((p for p in parent.parents if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            raise InputError(f"le chemin de sortie passe par le fichier « {os.path.abspath(blocking)} »",
                             "choisissez un dossier dont le chemin ne traverse aucun fichier", path=parent,
                             column=option, folder=True)
        if output.new_folder:
            return  # the command's --out-dir, created next (output_folder checks that it can be)
        raise InputError("le dossier de sortie n'existe pas", "créez-le d'abord ou choisissez un autre dossier",
                         path=parent, column=option, folder=True)
    if not parent.is_dir():
        raise InputError("le dossier de sortie est un fichier existant" if output.new_folder else
                         "le dossier de sortie n'est pas un dossier (c'est un fichier existant)",
                         "choisissez un autre dossier, ou déplacez ce fichier", path=parent, column=option, folder=True)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("dossier de sortie non accessible en écriture",
                         "choisissez un dossier où vous avez les droits d'écriture", path=parent, column=option,
                         folder=True)


def _suffix_hint(output: Output) -> str:
    return f" ({' ou '.join(output.suffixes)}) dans ce dossier" if output.suffixes else " dans ce dossier"


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _resolved(path: Path) -> Path:
    """The absolute path with symlinks and ``..`` resolved (for a missing file, its existing folders)."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _same_file(path: Path, resolved: Path, source: Path) -> bool:
    if resolved == _resolved(source):
        return True
    try:
        return path.exists() and source.exists() and os.path.samefile(path, source)  # hard links, case-blind disks
    except OSError:
        return False


def output_folder(path: str | Path, option: str = "--out-dir") -> Path:
    """Create the output folder ``path`` if needed; refuse a path that is a file or cannot be created.

    Raises
    ------
    InputError
        The folder is a file, its path goes through a file, it cannot be created or is not writable;
        the reason is said in French and the folder shown whole.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("le dossier de sortie est un fichier existant",
                         "choisissez un autre nom de dossier, ou déplacez ce fichier", path=path, column=option,
                         folder=True)
    blocking = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise InputError(f"le chemin du dossier de sortie passe par le fichier « {os.path.abspath(blocking)} »",
                         "choisissez un dossier dont le chemin ne traverse aucun fichier", path=path, column=option,
                         folder=True)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"dossier de sortie impossible à créer ({os_reason(exc)})",
                         "choisissez un dossier où vous avez les droits d'écriture", path=path, column=option,
                         folder=True) from None
    if not os.access(path, os.W_OK | os.X_OK):  # found now, not after the whole computation
        raise InputError("dossier de sortie non accessible en écriture",
                         "choisissez un dossier où vous avez les droits d'écriture", path=path, column=option,
                         folder=True)
    return path


def clean_leftovers(folders: Iterable[str | Path]) -> list[Path]:
    """Remove the temporary folders of :func:`writing_together` that an interrupted run left in
    ``folders``: those of a process that no longer runs (or, where that cannot be known, older than
    two days). Those of a run still writing are left alone. Returns the folders removed."""
    removed = []
    for folder in {_resolved(Path(f)) for f in folders}:
        try:
            entries = list(folder.iterdir()) if folder.is_dir() else []
        except OSError:
            continue
        for entry in entries:
            match = _PART.match(entry.name)
            if match and entry.is_dir() and not entry.is_symlink() and _abandoned(entry, int(match.group(1))):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _abandoned(folder: Path, pid: int) -> bool:
    if pid == os.getpid():
        return False
    if _PROCESSES_KNOWN:
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except OSError:
            return False  # it exists (another user's)
        return False
    try:
        return time.time() - folder.stat().st_mtime > _STALE_AFTER_S
    except OSError:
        return False


def prepare_outputs(outputs: Iterable[Output], sources: Iterable[Source]) -> None:
    """:func:`check_outputs`, then :func:`clean_leftovers` in the folders of the outputs."""
    outputs = list(outputs)
    check_outputs(outputs, sources)
    clean_leftovers({Path(o.path).parent for o in outputs})


class OutputSet:
    """The temporary paths of outputs written together (see :func:`writing_together`)."""

    def __init__(self, paths: Iterable[str | Path]):
        self.paths = [Path(p) for p in paths]
        self._temporary: dict[Path, Path] = {}

    def path(self, final: str | Path) -> Path:
        """Where to write the output ``final`` (one of the planned paths)."""
        final = Path(final)
        if final not in self.paths:
            raise ValueError(f"{final} is not a planned output")
        return self.folder(final.parent) / final.name

    def folder(self, final_folder: str | Path) -> Path:
        """The temporary folder standing for ``final_folder`` (for writers that take a folder)."""
        final_folder = Path(final_folder)
        if final_folder not in self._temporary:
            if final_folder not in {p.parent for p in self.paths}:
                raise ValueError(f"{final_folder} holds no planned output")
            try:
                self._temporary[final_folder] = Path(tempfile.mkdtemp(prefix=f"{PART_PREFIX}{os.getpid()}-",
                                                                      dir=final_folder))
            except OSError as exc:
                raise write_error(exc, next(p for p in self.paths if p.parent == final_folder)) from None
        return self._temporary[final_folder]

    def written(self) -> list[tuple[Path, Path]]:
        """(temporary file, final path) of every output written so far."""
        pairs = []
        for final_folder, temporary in self._temporary.items():
            for entry in sorted(temporary.iterdir()):
                if entry.is_file() and not entry.name.startswith("."):
                    final = final_folder / entry.name
                    if final not in self.paths:
                        raise RuntimeError(f"{final} was written but not planned (not checked against the inputs)")
                    pairs.append((entry, final))
        return pairs

    def commit(self) -> list[Path]:
        """Move every written file over its final name; if a move fails, put the older files back and
        remove the new ones, so that the folder holds the older outputs only."""
        pairs = self.written()
        done: list[tuple[Path, Path | None]] = []
        try:
            for temporary, final in pairs:
                backup = None
                if final.exists():
                    backup = temporary.parent / f".previous-{final.name}"
                    _keep_copy(final, backup)
                os.replace(temporary, final)
                done.append((final, backup))
        except BaseException as exc:  # a failed move, or an interruption between two moves
            for moved, backup in reversed(done):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, moved)
                    else:
                        moved.unlink()
            if isinstance(exc, OSError):
                raise write_error(exc, final) from None
            raise
        return [final for _, final in pairs]

    def discard(self) -> None:
        """Remove the temporary folders and all they hold."""
        for temporary in self._temporary.values():
            shutil.rmtree(temporary, ignore_errors=True)
        self._temporary.clear()


def _keep_copy(path: Path, backup: Path) -> None:
    """A copy of ``path`` to put back: a hard link (instant), else a copy."""
    try:
        os.link(path, backup)
    except OSError:
        shutil.copy2(path, backup)


@contextlib.contextmanager
def writing_together(paths: Iterable[str | Path]) -> Iterator[OutputSet]:
    """Write several outputs all or nothing.

    Each output is written under :meth:`OutputSet.path` (or into :meth:`OutputSet.folder`), in a
    temporary folder beside its final place; when the block ends without error, the files are
    moved over their final names. If the block fails, or a move fails, no new file appears and
    older files of the same names stay as they were. The temporary folders are always removed.

    Examples
    --------
    >>> with writing_together([out, summary]) as outputs:  # doctest: +SKIP
    ...     write_gpkg(result, outputs.path(out))
    ...     write_summary(result, outputs.path(summary))
    """
    outputs = OutputSet(paths)
    try:
        yield outputs
        outputs.commit()
    finally:
        outputs.discard()
