"""A cache of downloaded public inputs that says what it holds, and how one file gets into it.

The cache folder (:func:`access30.base.settings.cache_dir`, or a ``cache_dir`` given) keeps a
manifest, ``manifest.json``, written atomically: one entry per file with its source key
(:data:`SOURCES`), the départements it covers (none listed: the whole country), its vintage, path,
size, SHA-256, download address and date. A lookup trusts the size and modification time recorded
(a ``stat``, no reading), so that a file already there is answered « déjà en cache » at once;
:func:`verify` re-reads the file and checks its checksum.

A file is described by a :class:`RemoteFile` (where it comes from, where it goes, how to check it);
:func:`ensure` returns its cache entry, fetching it first when missing through
:func:`access30.base.fetch.fetch` (progress, resume, checks, mirror). A file placed by hand where it
goes (as the error messages advise) is checked and recorded instead of being downloaded. Two
processes asking for the same file (the workers of a national batch) take turns: the second finds it
in the cache. :func:`obtain` does the same and reports the outcome instead of raising, so that one
source's failure does not stop the others (``access30 download``).

Each source owns a folder of the cache (:data:`SOURCE_FOLDERS`), where its loader also keeps the
files it derives (one Parquet file per département…); :func:`clear` removes them all. An unreadable
manifest is treated as empty: the files still in place are recorded again when asked.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from access30.base.errors import Access30Error, InputError
from access30.base.fetch import FetchResult, ServerUnreachable, fetch, format_check, mirrored_url
from access30.base.files import write_text_atomic
from access30.base.fmt import fmt_bytes, plural
from access30.base.record import file_sha256
from access30.base.settings import cache_dir as default_cache_dir

try:  # POSIX: downloads of the same file by two processes take turns
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock
    fcntl = None

#: Source keys, in the order they are downloaded.
SOURCES = ("network", "grid", "dila", "data_inclusion", "france_services")
#: French name of each source.
SOURCE_LABELS = {
    "network": "réseau routier OpenStreetMap (Geofabrik)",
    "grid": "carroyage INSEE Filosofi 200 m",
    "dila": "Annuaire de l'administration (DILA)",
    "data_inclusion": "data·inclusion, export des structures",
    "france_services": "liste des France Services (ANCT)",
}
#: Folder of each source inside the cache.
SOURCE_FOLDERS = {"network": "osm", "grid": "filosofi", "dila": "dila", "data_inclusion": "data_inclusion",
                  "france_services": "france_services"}
#: French word of each outcome status.
STATUS_LABELS = {"ok": "téléchargé", "cached": "déjà en cache", "failed": "échec", "unavailable": "non publié"}
MANIFEST_NAME = "manifest.json"
_MANIFEST_VERSION = 1
#: Files an earlier version kept at the top of the cache for a source (networks downloaded with osmnx).
_LEGACY = {"network": ("network_*.graphml",)}
#: Lock files (never listed, never cleared while held).
_LOCK_NAME = ".access30-download.lock"
_MANIFEST_LOCK = ".access30-manifest.lock"


@dataclass
class CacheEntry:
    """One file of the cache, as the manifest records it.

    Attributes
    ----------
    source : str
        One of :data:`SOURCES`.
    departements : tuple of str
        Départements the file covers (a Geofabrik region lists its départements); empty for a
        national file.
    vintage : str
        Date or year of the data (``2021`` for Filosofi, the server's date for ``…-latest`` files).
    path : Path
        The file (absolute; stored relative to the cache folder).
    size : int
    sha256 : str
    url : str
        Where it was downloaded from (the original address, not the mirror's).
    fetched : str
        When it was downloaded (ISO 8601 with the UTC offset); for a file placed by hand, its
        modification time.
    mtime_ns : int
        Modification time recorded, so that a lookup needs no reading.
    label : str
        French description of the file.
    manual : bool
        Placed in the cache by hand rather than downloaded.
    """

    source: str
    departements: tuple[str, ...]
    vintage: str
    path: Path
    size: int
    sha256: str
    url: str
    fetched: str
    mtime_ns: int
    label: str = ""
    manual: bool = False

    def to_dict(self, cache_dir: str | Path | None = None) -> dict:
        """JSON-ready form, the path relative to ``cache_dir`` when it lies inside."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["departements"] = list(self.departements)
        data["path"] = _relative(self.path, _root(cache_dir))
        return data

    @classmethod
    def from_dict(cls, data: dict, cache_dir: str | Path | None = None) -> CacheEntry:
        """The entry of a manifest record (unknown keys ignored)."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["departements"] = tuple(known.get("departements", ()))
        known["path"] = _root(cache_dir) / Path(str(known["path"]))  # an absolute path stays absolute
        return cls(**known)

    def is_fresh(self) -> bool:
        """Whether the file is there with the size and modification time recorded (no reading)."""
        try:
            stat = self.path.stat()
        except OSError:
            return False
        return stat.st_size == self.size and stat.st_mtime_ns == self.mtime_ns

    def line(self) -> str:
        """One French line for a listing or a run record."""
        scope = f"départements {', '.join(self.departements)}" if self.departements else "France entière"
        how = "placé à la main" if self.manual else "téléchargé"
        return (f"{self.label or SOURCE_LABELS.get(self.source, self.source)} — {self.path.name}, "
                f"{fmt_bytes(self.size)}, millésime {self.vintage or 'inconnu'}, {scope}, {how} le {self.fetched[:10]}")


@dataclass
class RemoteFile:
    """One public file: where it comes from, where it goes in the cache, how it is checked.

    Attributes
    ----------
    source : str
        One of :data:`SOURCES`.
    url : str
        Original download address (the mirror, if any, is applied when fetching).
    candidates : tuple of Path
        Where the file goes (the first), and where a copy placed by hand is looked for.
    what : str
        French description (« réseau routier OpenStreetMap (bretagne) »): the progress bar's label
        and the subject of every message.
    page : str
        Web page of the dataset, named in the messages for a download by hand.
    kind : str
        Format checked on arrival (:func:`access30.base.fetch.format_check`); ``"parquet"`` or
        ``"csv"`` is read from the destination's suffix for ``"table"``.
    vintage : str
        Vintage when known in advance (the Filosofi year); else the server's date.
    departements : tuple of str
        Départements the file covers (none: national).
    sha256 : str, optional
        Expected checksum (a list published at a fixed commit).
    note : str
        French remark shown with the outcome.
    unavailable : str
        When set, the file is not published for this département (French reason).
    resolve : callable, optional
        ``resolve(mirror, timeout_s) -> (url, destination, vintage, size)`` for a file whose address
        is read from a description first (data.gouv.fr).
    manual_hint : str
        French instruction replacing « téléchargez URL et placez le fichier ici : … ».
    """

    source: str
    url: str
    candidates: tuple[Path, ...]
    what: str
    page: str = ""
    kind: str = "zip"
    vintage: str = ""
    departements: tuple[str, ...] = ()
    sha256: str | None = None
    note: str = ""
    unavailable: str = ""
    resolve: Callable[[str | None, float], tuple[str, Path, str, int | None]] | None = None
    manual_hint: str = ""

    @property
    def destination(self) -> Path:
        """Where the file goes."""
        return self.candidates[0]

    def by_hand(self) -> str:
        """The French instruction to fetch the file by hand."""
        if self.manual_hint:
            return self.manual_hint
        where = f" (page : {self.page})" if self.page else ""
        return f"téléchargez {self.url}{where} depuis un poste connecté et placez le fichier ici : {self.destination}"


@dataclass
class SourceOutcome:
    """What :func:`obtain` did for one source.

    Attributes
    ----------
    source : str
        One of :data:`SOURCES`.
    status : {"ok", "cached", "failed", "unavailable"}
        Downloaded now, already in the cache, failed, or not published for this département.
    label : str
        French name of the source.
    message : str
        French detail: the file and its size, the reason of a failure (what to fetch by hand and
        where to put it), a remark on the source.
    entry : CacheEntry or None
        The cache entry, when the file is in the cache.
    """

    source: str
    status: str
    label: str
    message: str = ""
    entry: CacheEntry | None = None

    @property
    def ok(self) -> bool:
        """Whether the file is in the cache now."""
        return self.status in ("ok", "cached")

    def __str__(self) -> str:
        return f"{self.label} : {STATUS_LABELS[self.status]}" + (f" — {self.message}" if self.message else "")


@dataclass
class Cleared:
    """What :func:`clear` removed: the entries, their bytes, the files derived, partial downloads."""

    entries: list[CacheEntry] = field(default_factory=list)
    size: int = 0
    derived: list[Path] = field(default_factory=list)
    partial: list[Path] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.entries and not self.partial and not self.derived:
            return "Rien à supprimer du cache."
        lines = [f"{plural(len(self.entries), 'fichier supprimé', 'fichiers supprimés')} du cache "
                 f"({fmt_bytes(self.size)})" + (" :" if self.entries else ".")]
        lines += [f"- {entry.line()}" for entry in self.entries]
        if self.derived:
            lines.append(plural(len(self.derived), "fichier tiré des sources supprimé",
                                "fichiers tirés des sources supprimés")
                         + f" (tables par département, index) : {', '.join(p.name for p in self.derived[:6])}"
                         + (" …" if len(self.derived) > 6 else ""))
        if self.partial:
            count = plural(len(self.partial), "téléchargement partiel supprimé", "téléchargements partiels supprimés")
            lines.append(f"{count} : {', '.join(p.name for p in self.partial)}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# The manifest


def manifest_path(cache_dir: str | Path | None = None) -> Path:
    """The manifest of the cache (``<cache>/manifest.json``)."""
    return _root(cache_dir) / MANIFEST_NAME


def source_folder(source: str, cache_dir: str | Path | None = None) -> Path:
    """The folder of a source in the cache (``<cache>/osm``, ``<cache>/filosofi``…), not created."""
    return _root(cache_dir) / SOURCE_FOLDERS[_check_source(source)]


def entries(cache_dir: str | Path | None = None) -> list[CacheEntry]:
    """Every file the manifest lists (present or not: see :meth:`CacheEntry.is_fresh`).

    Examples
    --------
    >>> for entry in entries():  # doctest: +SKIP
    ...     print(entry.line())
    """
    path = manifest_path(cache_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [CacheEntry.from_dict(item, cache_dir) for item in data.get("entries", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []  # no manifest, or an unreadable one: the files in place are recorded again when asked


def record(source: str, path: str | Path, *, url: str, sha256: str | None = None, vintage: str = "",
           departements: tuple[str, ...] | list[str] = (), label: str = "", manual: bool = False,
           fetched: str | None = None, cache_dir: str | Path | None = None) -> CacheEntry:
    """Record a file of the cache in the manifest (replacing the entry of the same source and path).

    Parameters
    ----------
    source : str
        One of :data:`SOURCES`.
    path : str or Path
        The file, in the cache folder.
    url : str
        Original download address.
    sha256 : str, optional
        Its SHA-256 when already known (from the download); computed otherwise.
    vintage, departements, label, manual
        See :class:`CacheEntry`.
    fetched : str, optional
        ISO date-time of the download; now by default.
    cache_dir : path, optional

    Returns
    -------
    CacheEntry
    """
    _check_source(source)
    path = Path(path).resolve()
    stat = path.stat()
    entry = CacheEntry(source, tuple(departements), vintage, path, stat.st_size, sha256 or file_sha256(path), url,
                       fetched or _now(), stat.st_mtime_ns, label, manual)
    with _locked(_root(cache_dir) / _MANIFEST_LOCK):
        kept = [e for e in entries(cache_dir) if not (e.source == source and e.path == path)]
        _write(kept + [entry], cache_dir)
    return entry


def lookup(source: str, departement: str | None = None, cache_dir: str | Path | None = None,
           vintage: str | None = None) -> CacheEntry | None:
    """The cached file of a source covering a département, when it is still there unchanged.

    Only the size and modification time are compared with the manifest (no reading), so a lookup is
    immediate whatever the file's size; :func:`verify` checks the content.

    Parameters
    ----------
    source : str
        One of :data:`SOURCES`.
    departement : str, optional
        INSEE code (``"22"``, ``"2A"``, ``"972"``); None: any.
    cache_dir : path, optional
    vintage : str, optional
        Only an entry of this vintage (e.g. the Filosofi year).

    Returns
    -------
    CacheEntry or None

    Examples
    --------
    >>> lookup("network", "22")  # doctest: +SKIP
    CacheEntry(source='network', departements=('22', '29', '35', '56'), ...)
    """
    _check_source(source)
    dep = None if departement is None else str(departement).strip().upper().zfill(2)
    for entry in reversed(entries(cache_dir)):
        if (entry.source == source and (dep is None or not entry.departements or dep in entry.departements)
                and (vintage is None or entry.vintage == vintage) and entry.is_fresh()):
            return entry
    return None


def verify(entry: CacheEntry) -> str | None:
    """Re-read a cached file: None when its size and SHA-256 are those recorded, else the French reason."""
    if not entry.path.is_file():
        return f"fichier absent : {entry.path}"
    size = entry.path.stat().st_size
    if size != entry.size:
        return f"taille {size} octets au lieu de {entry.size} : fichier modifié ou tronqué ({entry.path})"
    if file_sha256(entry.path, reread=True) != entry.sha256:
        return f"contenu modifié (empreinte SHA-256 différente de celle enregistrée) : {entry.path}"
    return None


def clear(source: str = "all", cache_dir: str | Path | None = None) -> Cleared:
    """Remove the files of a source (or ``"all"``) from the cache: the files the manifest lists, the
    files the loaders derived from them (tables per département…), and partial downloads.

    Returns
    -------
    Cleared
        What was removed; ``str()`` of it says so in French.

    Examples
    --------
    >>> print(clear("dila"))  # doctest: +SKIP
    1 fichier supprimé du cache (352,1 Mo) :
    - Annuaire de l'administration (DILA) — all_latest.tar.bz2, 352,1 Mo, …
    """
    wanted = SOURCES if source == "all" else (_check_source(source),)
    root = _root(cache_dir)
    cleared = Cleared()
    with _locked(root / _MANIFEST_LOCK):
        kept = []
        for entry in entries(cache_dir):
            if entry.source not in wanted:
                kept.append(entry)
                continue
            if entry.path.is_file():
                cleared.size += entry.path.stat().st_size
                entry.path.unlink()
            cleared.entries.append(entry)
        for name in wanted:
            folder = root / SOURCE_FOLDERS[name]
            for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
                if not path.is_file():
                    continue
                if path.name == _LOCK_NAME:
                    pass  # taken again by the next download
                elif path.name.endswith((".part", ".part.json")):
                    if path.name.endswith(".part"):
                        cleared.partial.append(path)
                else:
                    cleared.derived.append(path)
                path.unlink()
            if folder.is_dir():
                for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
                    with contextlib.suppress(OSError):
                        sub.rmdir()
            for pattern in _LEGACY.get(name, ()):  # kept by earlier versions beside the source folders
                for path in sorted(root.glob(pattern)):
                    cleared.derived.append(path)
                    path.unlink()
        if cleared.entries:
            _write(kept, cache_dir)
    return cleared


def _write(items: list[CacheEntry], cache_dir: str | Path | None) -> None:
    root = _root(cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    data = {"version": _MANIFEST_VERSION, "entries": [e.to_dict(cache_dir) for e in items]}
    write_text_atomic(root / MANIFEST_NAME, json.dumps(data, ensure_ascii=False, indent=1))


def _root(cache_dir: str | Path | None) -> Path:
    return (Path(cache_dir) if cache_dir else default_cache_dir()).resolve()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _check_source(source: str) -> str:
    if source not in SOURCES:
        raise InputError(f"source « {source} » inconnue", f"sources : {', '.join(SOURCES)} (ou all)")
    return source


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created), held for the block; other processes wait their turn."""
    if fcntl is None:
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # noqa: SIM115 - held for the block
    except OSError:  # a read-only cache: nothing can be written there anyway, said by the caller
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------------------------
# Getting one file into the cache


def ensure(spec: RemoteFile, departement: str | None = None, *, cache_dir: str | Path | None = None,
           mirror: str | None = None, progress: bool | None = None, refresh: bool = False,
           timeout_s: float = 60.0) -> tuple[CacheEntry, str]:
    """The cache entry of a file, fetched first when it is not in the cache.

    Parameters
    ----------
    spec : RemoteFile
    departement : str, optional
        The département it is wanted for (a regional file covers several).
    cache_dir : path, optional
    mirror : str, optional
        ``http(s)://host/path/``; None: the setting (``--mirror``, ``ACCESS30_MIRROR``).
    progress : bool, optional
        Progress bar (default: :func:`access30.base.fetch.progress_shown`).
    refresh : bool
        Download again even what is cached.
    timeout_s : float

    Returns
    -------
    entry : CacheEntry
    how : {"cached", "placed", "checked", "downloaded"}
        Already in the cache; placed by hand and recorded now; the same file recorded again (touched
        or copied); downloaded now.

    Raises
    ------
    ServerUnreachable, DownloadInterrupted, DownloadsForbidden
        (:mod:`access30.base.fetch`) no connection, a transfer broken off, downloads not allowed:
        each says what to fetch by hand and where to put it.
    InputError
        Not published for this département, HTTP errors, a file refused (checksum, format), a file
        placed by hand that is not the right one, a full disk.
    """
    root = _root(cache_dir)
    if spec.unavailable:
        raise InputError(f"{spec.what} : non publié — {spec.unavailable}")
    found = _cached(spec, departement, root, refresh)
    if found is not None:
        return found
    with _locked(spec.destination.parent / _LOCK_NAME):
        found = _cached(spec, departement, root, refresh)  # fetched meanwhile by another process
        if found is not None:
            return found
        return _download(spec, root, mirror, progress, timeout_s), "downloaded"


def _cached(spec: RemoteFile, departement: str | None, root: Path, refresh: bool) -> tuple[CacheEntry, str] | None:
    if refresh:
        return None
    vintage = spec.vintage if spec.source == "grid" else None
    entry = lookup(spec.source, departement, root, vintage)
    if entry is not None and entry.path in [p.resolve() for p in spec.candidates]:
        return entry, "cached"
    placed = _adopt(spec, root)
    return placed


def obtain(spec: RemoteFile, departement: str | None = None, *, cache_dir: str | Path | None = None,
           mirror: str | None = None, progress: bool | None = None, refresh: bool = False, timeout_s: float = 60.0,
           unreachable: dict[str, str] | None = None) -> SourceOutcome:
    """:func:`ensure`, reporting the outcome instead of raising.

    Parameters
    ----------
    spec, departement, cache_dir, mirror, progress, refresh, timeout_s
        As :func:`ensure`.
    unreachable : dict, optional
        Hosts found unreachable by earlier calls (filled here): a file from one of them fails at once
        with the same reason.

    Returns
    -------
    SourceOutcome
    """
    label = SOURCE_LABELS[spec.source]
    if spec.unavailable:
        return SourceOutcome(spec.source, "unavailable", label, spec.unavailable)
    unreachable = {} if unreachable is None else unreachable
    refused = ""
    try:
        found = _cached(spec, departement, _root(cache_dir), refresh)
    except InputError as exc:  # a wrong file placed by hand: said, then downloaded over
        found, refused = None, f"{exc} ; "
    if found is not None:
        entry, how = found
        prefix = {"placed": "fichier placé à la main, vérifié et enregistré — ",
                  "checked": "fichier vérifié à nouveau — "}.get(how, "")
        return SourceOutcome(spec.source, "cached", label, prefix + _describe(entry, spec), entry)
    host = urllib.parse.urlsplit(mirrored_url(spec.url, mirror)).netloc
    if host in unreachable:
        return SourceOutcome(spec.source, "failed", label, f"{unreachable[host]} ; sans connexion, {spec.by_hand()}")
    try:
        entry, how = ensure(spec, departement, cache_dir=cache_dir, mirror=mirror, progress=progress,
                            refresh=refresh or bool(refused), timeout_s=timeout_s)
    except ServerUnreachable as exc:
        unreachable[exc.host or host] = f"serveur {exc.host or host} injoignable (voir « {label} »)"
        return SourceOutcome(spec.source, "failed", label, refused + str(exc))
    except Access30Error as exc:
        return SourceOutcome(spec.source, "failed", label, refused + str(exc))
    status = "ok" if how == "downloaded" else "cached"
    return SourceOutcome(spec.source, status, label, _describe(entry, spec), entry)


def _download(spec: RemoteFile, root: Path, mirror: str | None, progress: bool | None,
              timeout_s: float) -> CacheEntry:
    if spec.resolve is not None:
        url, destination, vintage, size = spec.resolve(mirror, timeout_s)
    else:
        url, destination, vintage, size = spec.url, spec.destination, spec.vintage, None
    result: FetchResult = fetch(url, destination, what=spec.what, sha256=spec.sha256, expected_size=size,
                                validate=format_check(_kind_of(destination, spec)), progress=progress,
                                mirror=mirror, timeout_s=timeout_s, page=spec.page)
    return record(spec.source, result.path, url=url, sha256=result.sha256,
                  vintage=vintage or result.last_modified or _now()[:10], departements=spec.departements,
                  label=spec.what, cache_dir=root)


def _adopt(spec: RemoteFile, root: Path) -> tuple[CacheEntry, str] | None:
    """A file found where the source goes: the same one recorded again (touched or copied), or one
    placed by hand, checked and recorded.

    Raises
    ------
    InputError
        When the file there is not the right one (format, checksum): said, so that it is replaced.
    """
    for path in spec.candidates:
        if not path.is_file():
            continue
        problem = format_check(_kind_of(path, spec))(path)
        sha256 = file_sha256(path)
        if not problem and spec.sha256 and sha256 != spec.sha256:
            problem = "empreinte SHA-256 différente de celle de la source"
        if problem:
            raise InputError(f"le fichier présent {path} est refusé ({problem})",
                             f"supprimez-le ; {spec.by_hand()}")
        known = next((e for e in entries(root) if e.source == spec.source and e.path == path.resolve()
                      and e.sha256 == sha256), None)
        if known is not None:  # the same file, touched or copied again: keep its origin and date
            return record(spec.source, path, url=known.url, sha256=sha256, vintage=known.vintage,
                          departements=known.departements, label=known.label, manual=known.manual,
                          fetched=known.fetched, cache_dir=root), "checked"
        mtime = datetime.fromtimestamp(path.stat().st_mtime).astimezone().isoformat(timespec="seconds")
        return record(spec.source, path, url=spec.url or spec.page, sha256=sha256,
                      vintage=spec.vintage or mtime[:10], departements=spec.departements, label=spec.what,
                      manual=True, fetched=mtime, cache_dir=root), "placed"
    return None


def _describe(entry: CacheEntry, spec: RemoteFile) -> str:
    text = f"{entry.path.name}, {fmt_bytes(entry.size)}, millésime {entry.vintage or 'inconnu'}"
    return text + (f" ; {spec.note}" if spec.note else "")


def _kind_of(path: Path, spec: RemoteFile) -> str:
    if spec.kind == "table":
        return "parquet" if path.suffix == ".parquet" else "csv"
    return spec.kind


def cache_size(cache_dir: str | Path | None = None) -> int:
    """Bytes held by the cache folder (every file, derived ones included)."""
    root = _root(cache_dir)
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def free_space(cache_dir: str | Path | None = None) -> int | None:
    """Free bytes on the cache's disk (None when it cannot be read)."""
    root = _root(cache_dir)
    while not root.exists() and root.parent != root:
        root = root.parent
    try:
        return shutil.disk_usage(root).free
    except OSError:
        return None


__all__ = ["MANIFEST_NAME", "SOURCES", "SOURCE_FOLDERS", "SOURCE_LABELS", "STATUS_LABELS", "CacheEntry", "Cleared",
           "RemoteFile", "SourceOutcome", "cache_size", "clear", "ensure", "entries", "lookup", "manifest_path",
           "obtain", "record", "source_folder", "verify"]
