"""The run record: how a result was made, so that it can be checked and made again a year later.

A prefecture annex must say how its figures were made (AccessMod issue 252: a log of the parameters
of each run). This module is the one home of the pieces of that record:

* **fingerprints**: :func:`file_fingerprint` gives a file's path, size and SHA-256 (a folder's too,
  e.g. an unzipped GTFS feed; ``FICHIER:couche`` fingerprints the file), hashed in chunks and
  remembered within the process while its size and modification time stay the same;
  :func:`options_record` gives options (a dataclass or a mapping) as plain JSON values;
  :func:`same_content` compares two fingerprints. The national batch (:mod:`access30.national.batch`)
  reuses a département's row only when they match.
* **what a run read**: inside ``with collecting() as reads:``, every built-in data file found
  through :func:`access30.base.settings.data_path` and every cached file a loader reads
  (:func:`note_file`) is noted, with the data sources and their download dates (:func:`note_source`).
* **the record**: :class:`RunRecord` keeps the access30 version (and the git commit when run from a
  clone), the command line or the app's settings, every option with its value (defaults included),
  every input file with its path, size and SHA-256, every data source with its vintage and download
  date, the versions of Python and of the key packages, and the start, end and duration. It is plain
  JSON (:meth:`RunRecord.to_dict`): the ``run`` of a JSON summary, the ``run`` table of a GeoPackage,
  the « Paramètres du calcul » sheet of a workbook, the method section of a report.
* **making it again**: :func:`read_record` reads it back from a summary; :func:`refuse_changed_inputs`
  refuses, naming the file, when an input changed; :func:`check_versions` lists the packages whose
  version differs; :func:`restore` rebuilds the typed options it was made with.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import hashlib
import json
import os
import platform
import sqlite3
import subprocess
import time
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

from access30.base.errors import InputError
from access30.base.files import jsonable, split_layer
from access30.base.fmt import fmt_dec, fmt_int

#: Packages whose version is recorded (distribution names), after Python itself.
KEY_PACKAGES = ("access30", "numpy", "scipy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "osmium",
                "osmnx", "highspy", "gtfs-kit", "dask", "distributed", "streamlit")
#: Version of the record's layout, stored in it.
RECORD_VERSION = 1
#: Bytes read at a time when hashing.
_CHUNK = 1 << 20
#: SHA-256 of the files already hashed by this process, by (path, size, mtime_ns).
_HASHES: dict[tuple[str, int, int], str] = {}
#: The folder holding the package: a git work tree when access30 runs from a clone.
_SOURCE_ROOT = Path(__file__).resolve().parents[2]
#: Options naming folders (a cache, a folder of extracts): what they hold is fingerprinted file by
#: file when read, never the whole folder.
FOLDER_OPTIONS = ("cache_dir", "networks_dir")


# --------------------------------------------------------------------------------------------
# Fingerprints


def file_sha256(path: str | Path, reread: bool = False) -> str:
    """SHA-256 of a file, hexadecimal, remembered within the process while its size and modification
    time stay the same (``reread``: read it again whatever is remembered, to verify it)."""
    path = Path(path)
    stat = path.stat()
    return _sha256(path, stat.st_size, stat.st_mtime_ns, reread)


def _sha256(path: Path, size: int, mtime_ns: int, reread: bool = False) -> str:
    key = (str(path.resolve()), size, mtime_ns)
    digest = None if reread else _HASHES.get(key)
    if digest is None:
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                sha.update(chunk)
        digest = _HASHES[key] = sha.hexdigest()
    return digest


def file_fingerprint(path: str | Path, role: str | None = None) -> dict:
    """A file's path, size and SHA-256.

    Parameters
    ----------
    path : str or Path
        A file, ``FICHIER:couche`` (a layer or a sheet: the file is fingerprinted), or a folder (one
        checksum over the relative paths and checksums of its files, e.g. an unzipped GTFS feed).
    role : str, optional
        What the file is to the run (``"reseau"``, ``"study.sites"``…), kept under ``role``: two runs
        compare the files of the same role, wherever they lie.

    Returns
    -------
    dict
        ``{"role", "path", "size", "sha256"}`` (``role`` only when given), the path absolute; a
        missing file has ``size`` and ``sha256`` None, so that a file that appears later (a grid
        downloaded into the cache) counts as a change too.

    Examples
    --------
    >>> file_fingerprint("sites.csv", "study.sites")  # doctest: +SKIP
    {'role': 'study.sites', 'path': '/home/me/etude/sites.csv', 'size': 13523, 'sha256': 'cd96e3a5…'}
    """
    file, _ = split_layer(path)
    file = Path(os.path.abspath(file))
    found = {"role": role} if role is not None else {}
    found["path"] = str(file)
    try:
        if file.is_dir():
            return {**found, **_folder_fingerprint(file)}
        stat = file.stat()
    except OSError:
        return {**found, "size": None, "sha256": None}
    return {**found, "size": int(stat.st_size), "sha256": _sha256(file, stat.st_size, stat.st_mtime_ns)}


def _folder_fingerprint(folder: Path) -> dict:
    digest, size = hashlib.sha256(), 0
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = file.stat()
        size += stat.st_size
        checksum = _sha256(file, stat.st_size, stat.st_mtime_ns)
        digest.update(f"{file.relative_to(folder).as_posix()}\0{checksum}\n".encode())
    return {"size": size, "sha256": digest.hexdigest()}


def options_record(options) -> dict:
    """Options of a run as plain JSON values (paths as text, tuples as lists, NaN as None).

    Parameters
    ----------
    options : dataclass instance or mapping
        Every field is kept (nested dataclasses too), so that an option added later is recorded and
        compared with no further change.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Options:
    ...     threshold_min: float = 30.0
    ...     sites: Path | None = None
    >>> options_record(Options(sites=Path("sites.csv")))
    {'threshold_min': 30.0, 'sites': 'sites.csv'}
    """
    if options is None:
        return {}
    items = _fields(options) if dataclasses.is_dataclass(options) else dict(options)
    return _plain(items)


def _fields(options) -> dict:
    """A dataclass's fields, nested dataclasses kept as objects (unlike ``asdict``, which copies deeply)."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}


def same_content(recorded: dict, current: dict) -> bool:
    """Whether two fingerprints describe the same bytes (size and SHA-256; the path may differ)."""
    return recorded.get("size") == current.get("size") and recorded.get("sha256") == current.get("sha256")


def _plain(value):
    """JSON-ready copy: paths and dates as text, tuples and sets as lists, NumPy values as Python ones."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(_fields(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [_plain(v) for v in sorted(value, key=str)]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    value = jsonable(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# --------------------------------------------------------------------------------------------
# What a run read


@dataclass
class Reads:
    """Files and data sources a run read (see :func:`collecting`).

    Attributes
    ----------
    files : dict
        Absolute path → role (``"données intégrées"``, ``"cache:grid"``…), in the order first read.
    sources : list of dict
        Data sources with their vintage and download date (``source, label, vintage, fetched, url,
        sha256, line``), one per source and file.
    """

    files: dict[str, str] = field(default_factory=dict)
    sources: list[dict] = field(default_factory=list)


_READS: contextvars.ContextVar[tuple[Reads, ...]] = contextvars.ContextVar("access30_reads", default=())


@contextlib.contextmanager
def collecting() -> Iterator[Reads]:
    """Note every file and data source read inside the block (blocks nest: each notes all).

    Examples
    --------
    >>> with collecting() as reads:  # doctest: +SKIP
    ...     study = assemble_study(StudyRequest(territory="22"))
    >>> list(reads.files.values())[:2]  # doctest: +SKIP
    ['données intégrées', 'cache:network']
    """
    reads = Reads()
    token = _READS.set((*_READS.get(), reads))
    try:
        yield reads
    finally:
        _READS.reset(token)


def note_file(path: str | Path, role: str) -> None:
    """Note an input file read by the run (no effect outside :func:`collecting`)."""
    for reads in _READS.get():
        reads.files.setdefault(os.path.abspath(path), role)


def note_source(source: str, label: str, *, vintage: str = "", fetched: str = "", url: str = "",
                sha256: str = "", line: str = "") -> None:
    """Note a data source read by the run, with its vintage and download date (once per source and file)."""
    item = _source_item(source, label, vintage=vintage, fetched=fetched, url=url, sha256=sha256, line=line)
    for reads in _READS.get():
        if not any(s["source"] == source and s["sha256"] == item["sha256"] and s["label"] == label
                   for s in reads.sources):
            reads.sources.append(item)


def note_cache_entry(entry) -> None:
    """Note a data source from its cache entry (:class:`access30.base.cache.CacheEntry`)."""
    note_source(entry.source, entry.label, vintage=entry.vintage, fetched=entry.fetched, url=entry.url,
                sha256=entry.sha256, line=entry.line())


def _source_item(source: str, label: str, *, vintage: str = "", fetched: str = "", url: str = "", sha256: str = "",
                 line: str = "") -> dict:
    text = line or (f"{label}, millésime {vintage or 'inconnu'}"
                    + (f", téléchargé le {fetched[:10]}" if fetched else ""))
    return {"source": source, "label": label, "vintage": vintage, "fetched": fetched, "url": url,
            "sha256": sha256, "line": text}


# --------------------------------------------------------------------------------------------
# Versions


def package_versions() -> dict[str, str | None]:
    """Versions of Python and of :data:`KEY_PACKAGES` (None for a package not installed).

    Examples
    --------
    >>> package_versions()["python"]  # doctest: +SKIP
    '3.11.7'
    """
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        versions[name] = _version(name)
    return versions


def code_version() -> dict:
    """The access30 version, and the git commit and « modified » flag when run from a clone.

    The commit is read only when the folder holding the package is the top of a git work tree (an
    install inside another project's repository is not mistaken for a clone); without git, or
    outside a clone, ``commit`` and ``dirty`` are None. Never raises.

    Returns
    -------
    dict
        ``{"version": "0.1.0", "commit": "c4723b9…" or None, "dirty": bool or None}``; ``dirty``
        is True when tracked files differ from the commit.
    """
    commit, dirty = _git_state(_SOURCE_ROOT)
    return {"version": _version("access30"), "commit": commit, "dirty": dirty}


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _git_state(root: Path) -> tuple[str | None, bool | None]:
    top = _git(root, "rev-parse", "--show-toplevel")
    if not top or Path(top).resolve() != root.resolve():
        return None, None
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return commit, (None if status is None else bool(status))


# --------------------------------------------------------------------------------------------
# The record

#: French names of a record's commands.
COMMAND_LABELS = {"coverage": "couverture (access30 coverage)", "report": "dossier (access30 report)",
                  "suggest": "suggestions (access30 suggest)", "batch": "lot national (access30 batch)",
                  "app": "application (access30 app)"}


@dataclass
class RunRecord:
    """How a run was made, JSON-ready.

    Attributes
    ----------
    command : str
        ``coverage``, ``report``, ``suggest``, ``batch`` or ``app``.
    argv : list of str or None
        The command line (``sys.argv``); None for the app, whose settings are in ``arguments``.
    cwd : str
        The folder the command was run from (relative paths of ``argv`` are relative to it).
    version, commit, dirty
        :func:`code_version`.
    options : dict
        The typed options of the core, every field with its value (defaults included), by group
        (``study``, ``coverage``, ``suggest``, ``batch``…), paths absolute: what ``rerun`` rebuilds.
    arguments : dict
        Every option of the command line with its value, defaults included (or the app's settings).
    inputs : list of dict
        Fingerprints of the input files (:func:`file_fingerprint`) with their ``role``: the files of
        the options, the built-in data files read, the cached files read.
    sources : list of dict
        Data sources: ``source, label, vintage, fetched, url, sha256, line``.
    packages : dict
        :func:`package_versions`.
    started, ended : str
        ISO 8601 with the UTC offset.
    duration_s : float or None

    Examples
    --------
    >>> record = RunRecord.begin("coverage", {"coverage": {"threshold_min": 30}}, argv=["access30"])
    >>> record.finish().command, record.options["coverage"]["threshold_min"]
    ('coverage', 30)
    """

    command: str = ""
    argv: list[str] | None = None
    cwd: str = ""
    version: str | None = None
    commit: str | None = None
    dirty: bool | None = None
    options: dict = field(default_factory=dict)
    arguments: dict = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    packages: dict = field(default_factory=dict)
    started: str = ""
    ended: str = ""
    duration_s: float | None = None
    _clock: float | None = field(default=None, repr=False, compare=False)

    @classmethod
    def begin(cls, command: str, options: dict, *, argv: list[str] | None = None,
              arguments: dict | None = None) -> RunRecord:
        """A record started now, with the code and package versions of this process.

        Parameters
        ----------
        command : str
            ``coverage``, ``report``, ``suggest``, ``batch`` or ``app``.
        options : dict
            Group name → typed options (a dataclass, a mapping, or None). Every field is recorded;
            paths are made absolute, and the files they name are fingerprinted (folders of
            :data:`FOLDER_OPTIONS` aside), with the role ``group.field``.
        argv : list of str, optional
            ``sys.argv`` for the command line.
        arguments : dict, optional
            Every option of the command line (``vars(args)``) or the app's settings.
        """
        code = code_version()
        record = cls(command=command, argv=[str(a) for a in argv] if argv is not None else None, cwd=os.getcwd(),
                     version=code["version"], commit=code["commit"], dirty=code["dirty"],
                     options={name: _plain(_absolute(group)) for name, group in options.items()},
                     arguments=_plain(arguments or {}), packages=package_versions(), started=_now(),
                     _clock=time.monotonic())
        for name, group in options.items():
            for role, path in _option_paths(group, name):
                record.add_input(path, role)
        return record

    def add_input(self, path: str | Path, role: str = "") -> dict:
        """Fingerprint an input file and add it (once per path: the first role given stays)."""
        fingerprint = file_fingerprint(path, role or "entrée")
        known = next((i for i in self.inputs if i["path"] == fingerprint["path"]), None)
        if known is not None:
            return known
        self.inputs.append(fingerprint)
        return fingerprint

    def add_source(self, source: str, label: str, *, vintage: str = "", fetched: str = "", url: str = "",
                   sha256: str = "", line: str = "") -> dict:
        """Add a data source (once per source, label and checksum)."""
        item = _source_item(source, label, vintage=vintage, fetched=fetched, url=url, sha256=sha256, line=line)
        known = next((s for s in self.sources if (s["source"], s["label"], s["sha256"]) ==
                      (source, label, item["sha256"])), None)
        if known is not None:
            return known
        self.sources.append(item)
        return item

    def add_reads(self, reads: Reads) -> RunRecord:
        """Add the files and data sources noted while the run read its inputs (:func:`collecting`)."""
        for path, role in reads.files.items():
            self.add_input(path, role)
        for item in reads.sources:
            self.add_source(**{k: item.get(k, "") for k in ("source", "label", "vintage", "fetched", "url",
                                                              "sha256", "line")})
        return self

    def add_study(self, study) -> RunRecord:
        """Add what a study was made from: the files it read and its data sources (with their vintage).

        ``study`` is duck-typed: its ``reads`` (:class:`Reads`, or None) and ``sources`` (one French
        line per data source, as every output prints them).
        """
        reads = getattr(study, "reads", None)
        if reads is not None:
            self.add_reads(reads)
        for line in getattr(study, "sources", None) or []:
            self.add_source("etude", str(line), line=str(line))
        return self

    def finish(self) -> RunRecord:
        """Set the end and the duration; returns the record."""
        self.ended = _now()
        if self._clock is not None:
            self.duration_s = round(time.monotonic() - self._clock, 3)
        elif self.started:
            elapsed = datetime.fromisoformat(self.ended) - datetime.fromisoformat(self.started)
            self.duration_s = elapsed.total_seconds()
        return self

    def to_dict(self) -> dict:
        """JSON-ready form (``record_version`` first)."""
        data = {"record_version": RECORD_VERSION}
        data.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if not f.name.startswith("_")})
        return _plain(data)

    @classmethod
    def from_dict(cls, data: dict) -> RunRecord:
        """The record of :meth:`to_dict` (unknown keys ignored).

        Raises
        ------
        InputError
            When it is not a run record, is of a newer layout, or its parts have the wrong kinds.
        """
        if not isinstance(data, dict) or "command" not in data or "options" not in data:
            raise InputError("ce n'est pas un journal d'exécution d'access30 (ni « run », ni « command » et "
                             "« options »)", "donnez le résumé JSON écrit par access30 (--summary) ou son « run »")
        version = data.get("record_version", 1)
        if not isinstance(version, int) or version > RECORD_VERSION:
            raise InputError(f"journal d'exécution d'un format plus récent ({version})",
                             "mettez access30 à jour pour le relire")
        kinds = {"command": str, "options": dict, "arguments": dict, "inputs": list, "sources": list,
                 "packages": dict}
        for name, kind in kinds.items():
            if name in data and not isinstance(data[name], kind):
                raise InputError(f"journal d'exécution illisible : « {name} » n'a pas la forme attendue",
                                 "donnez le résumé JSON écrit par access30, sans le modifier")
        for item in data.get("inputs", []):
            if not isinstance(item, dict) or not isinstance(item.get("path"), str):
                raise InputError("journal d'exécution illisible : un fichier d'entrée sans chemin",
                                 "donnez le résumé JSON écrit par access30, sans le modifier")
        known = {f.name: data[f.name] for f in dataclasses.fields(cls) if not f.name.startswith("_") and f.name in data}
        return cls(**known)

    def lines(self) -> list[str]:
        """The record in French lines, for a report's method section or an annex."""
        code = f"access30 {self.version or '(version inconnue)'}"
        if self.commit:
            code += f", commit {self.commit[:12]}" + (" (avec des modifications locales)" if self.dirty else "")
        how = ("Lancé depuis l'application" if self.argv is None
               else "Commande : " + " ".join(_quoted(a) for a in self.argv))
        out = [f"Calcul : {COMMAND_LABELS.get(self.command, self.command)}, {code}", how]
        if self.started:
            took = f", durée {fmt_dec(self.duration_s, 1)} s" if self.duration_s is not None else ""
            out.append(f"Début {_local(self.started)}" + (f", fin {_local(self.ended)}" if self.ended else "") + took)
        out += [f"Fichier lu ({_role(i)}) : {i['path']} — {_size(i)}, SHA-256 {i['sha256'] or '—'}"
                for i in self.inputs]
        out += [f"Source : {s['line']}" for s in self.sources if s.get("source") != "etude"]
        packages = ", ".join(f"{name} {v}" for name, v in self.packages.items() if v)
        out.append(f"Logiciels : {packages}")
        return out

    def rows(self) -> list[tuple[str, str, str]]:
        """(Rubrique, Élément, Valeur) rows: the whole record in French, for a table or a sheet."""
        rows = [("Calcul", "commande", COMMAND_LABELS.get(self.command, self.command)),
                ("Calcul", "version d'access30", self.version or ""),
                ("Calcul", "commit", (self.commit or "") + (" (modifié)" if self.dirty else "")),
                ("Calcul", "ligne de commande", " ".join(_quoted(a) for a in self.argv) if self.argv is not None
                 else "application"),
                ("Calcul", "dossier de lancement", self.cwd),
                ("Calcul", "début", self.started), ("Calcul", "fin", self.ended),
                ("Calcul", "durée (s)", fmt_dec(self.duration_s, 1) if self.duration_s is not None else "")]
        for group, values in self.options.items():
            for name, value in _flatten(values, group):
                rows.append(("Option", name, _text(value)))
        for name, value in _flatten(self.arguments, "commande"):
            rows.append(("Option", name, _text(value)))
        for item in self.inputs:
            rows.append(("Fichier lu", f"{_role(item)} : {item['path']}", f"{_size(item)}, SHA-256 "
                                                                           f"{item['sha256'] or '—'}"))
        for item in self.sources:
            rows.append(("Source", item["label"] if item.get("source") != "etude" else "étude", item["line"]))
        for name, value in self.packages.items():
            rows.append(("Logiciel", name, value or "non installé"))
        return rows

    def json(self) -> str:
        """The record as JSON text (UTF-8, indented)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)


def _absolute(group):
    """Options with every path made absolute (so that ``rerun`` finds them from any folder)."""
    if group is None:
        return None
    items = _fields(group) if dataclasses.is_dataclass(group) else dict(group)
    return {name: _absolute_value(value) for name, value in items.items()}


def _absolute_value(value):
    if isinstance(value, os.PathLike):
        return os.path.abspath(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _absolute(value)
    if isinstance(value, tuple):
        return tuple(_absolute_value(v) for v in value)
    return value


def _option_paths(group, prefix: str) -> list[tuple[str, Path]]:
    """(role, path) of every file an options group names (nested groups and tuples included)."""
    if group is None:
        return []
    items = _fields(group) if dataclasses.is_dataclass(group) else dict(group)
    found = []
    for name, value in items.items():
        if name in FOLDER_OPTIONS:
            continue
        role = f"{prefix}.{name}"
        if isinstance(value, os.PathLike):
            found.append((role, Path(value)))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            found += _option_paths(value, role)
        elif isinstance(value, tuple):
            for item in value:
                paths = [v for v in (item if isinstance(item, tuple) else (item,)) if isinstance(v, os.PathLike)]
                found += [(role, Path(p)) for p in paths]
    return found


def _flatten(values, prefix: str) -> list[tuple[str, object]]:
    if isinstance(values, dict):
        out = []
        for name, value in values.items():
            out += _flatten(value, f"{prefix}.{name}")
        return out
    return [(prefix, values)]


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) if value else "—"
    if isinstance(value, float):
        return fmt_dec(value, 6).rstrip("0").rstrip(",")
    return str(value)


def _quoted(arg: str) -> str:
    return f"« {arg} »" if (" " in arg or not arg) else arg


def _role(item: dict) -> str:
    return str(item.get("role") or "entrée")


def _size(item: dict) -> str:
    return "absent" if item.get("size") is None else f"{fmt_int(item['size'])} octets"


def _local(stamp: str) -> str:
    """« 2026-03-02 14:03:05 » from an ISO 8601 time."""
    return stamp.replace("T", " ")[:19]


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Making a run again


@dataclass(frozen=True)
class InputChange:
    """An input file that differs from the one recorded."""

    path: str
    reason: str
    recorded: dict
    now: dict | None = None

    def __str__(self) -> str:
        return f"{self.path} : {self.reason}"


def check_inputs(record: RunRecord) -> list[InputChange]:
    """The recorded input files that are missing or changed (size first, then checksum).

    A file recorded as absent (``size`` None: e.g. a grid the first run did not have) that is
    there now is a change too.

    Examples
    --------
    >>> for change in check_inputs(read_record("etude/synthese.json")):  # doctest: +SKIP
    ...     print(change)
    /home/me/etude/sites.csv : taille 13 524 octets au lieu de 13 523
    """
    changes = []
    for item in record.inputs:
        now = file_fingerprint(item["path"])
        if item.get("size") is None:
            if now["size"] is not None:
                changes.append(InputChange(item["path"], "fichier apparu depuis le calcul (absent alors)", item, now))
        elif now["size"] is None:
            changes.append(InputChange(item["path"], "fichier absent", item, now))
        elif now["size"] != item["size"]:
            reason = f"taille {fmt_int(now['size'])} octets au lieu de {fmt_int(item['size'])}"
            changes.append(InputChange(item["path"], reason, item, now))
        elif now["sha256"] != item.get("sha256"):
            changes.append(InputChange(item["path"], "contenu modifié (même taille, empreinte SHA-256 différente)",
                                       item, now))
    return changes


def refuse_changed_inputs(record: RunRecord, path: str | Path | None = None) -> None:
    """Refuse to make a run again when one of its input files changed, naming the file(s).

    Raises
    ------
    InputError
        Naming the first changed file in full, and how many others changed.
    """
    changes = check_inputs(record)
    if not changes:
        return
    first = changes[0]
    others = f" (et {fmt_int(len(changes) - 1)} autre{'s' if len(changes) > 2 else ''} : " \
             + ", ".join(Path(c.path).name for c in changes[1:4]) + ")" if len(changes) > 1 else ""
    raise InputError(f"fichier d'entrée modifié depuis le calcul : {first}{others}",
                     "remettez le fichier d'origine (même taille et même empreinte SHA-256), ou lancez un nouveau "
                     "calcul plutôt que de refaire celui-ci", path=path)


def check_versions(record: RunRecord) -> list[tuple[str, str | None, str | None]]:
    """The packages (and the git commit, as ``"commit"``) whose version differs now from the record.

    Returns
    -------
    list of (name, recorded, now)
        None where a package is not installed (or was not).
    """
    now = package_versions()
    names = list(dict.fromkeys([*record.packages, *now]))
    changes = [(name, record.packages.get(name), now.get(name)) for name in names
               if record.packages.get(name) != now.get(name)]
    if record.commit:
        commit = code_version()["commit"]
        if commit != record.commit:
            changes.append(("commit", record.commit, commit))
    return changes


def version_warnings(record: RunRecord) -> list[str]:
    """French warnings for :func:`check_versions` (« osmnx 2.0.1 au calcul, 2.0.3 maintenant »)."""
    return [f"{name} : {old or 'absent'} au calcul, {new or 'absent'} maintenant : les chiffres peuvent différer"
            for name, old, new in check_versions(record)]


def read_record(path: str | Path) -> RunRecord:
    """Read a run record: a JSON summary of access30 (its ``run``), a record on its own, or the ``run``
    table of a GeoPackage written by access30.

    Raises
    ------
    InputError
        Missing or unreadable file, or one that holds no run record.
    """
    path = Path(path)
    fix = "donnez le résumé JSON écrit par access30 (--summary, ou synthese.json d'un dossier)"
    if path.suffix.lower() == ".gpkg" and path.is_file():
        return _gpkg_record(path, fix)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("journal d'exécution introuvable", "vérifiez le chemin", path=path) from None
    except IsADirectoryError:
        raise InputError("c'est un dossier, pas un résumé JSON", fix, path=path) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"journal d'exécution illisible ({str(exc).splitlines()[0][:120]})", fix,
                         path=path) from None
    if isinstance(data, dict) and isinstance(data.get("run"), dict):
        data = data["run"]
    elif isinstance(data, dict) and "population_covered" in data:
        raise InputError("ce résumé n'a pas de journal d'exécution (« run ») : il a été écrit par une version "
                         "d'access30 antérieure", "relancez la commande d'origine pour avoir un résumé avec son "
                         "journal", path=path)
    try:
        return RunRecord.from_dict(data)
    except InputError as exc:
        raise InputError(exc.problem, exc.fix, path=path) from None


def _gpkg_record(path: Path, fix: str) -> RunRecord:
    """The record kept in the ``run`` table of a GeoPackage (its ``json`` row)."""
    try:  # a GeoPackage is an SQLite database: its ``run`` table is read without GDAL
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as database:
            (text,) = database.execute("SELECT valeur FROM run WHERE element = 'json'").fetchone()
        data = json.loads(text)
    except Exception:  # noqa: BLE001 - no such layer, no such row, not JSON: all the same to the user
        raise InputError("ce GeoPackage n'a pas de table « run » lisible (écrit par une version antérieure ou par un "
                         "autre logiciel)", fix, path=path) from None
    try:
        return RunRecord.from_dict(data)
    except InputError as exc:
        raise InputError(exc.problem, exc.fix, path=path) from None


def restore(cls, data: dict):
    """Rebuild typed options (a dataclass) from their record (:func:`options_record`).

    Paths, tuples, nested dataclasses and optional fields come back as they were; unknown keys are
    ignored and missing ones take their default.

    Raises
    ------
    InputError
        When a value does not have the type of its field.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Options:
    ...     sites: Path | None = None
    ...     builtin: tuple[str, ...] = ()
    >>> restore(Options, {"sites": "/etude/sites.csv", "builtin": ["mairies"]})
    Options(sites=PosixPath('/etude/sites.csv'), builtin=('mairies',))
    """
    if not isinstance(data, dict):
        raise InputError(f"options illisibles dans le journal d'exécution ({cls.__name__})",
                         "donnez le résumé JSON écrit par access30, sans le modifier")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            try:
                values[f.name] = _restored(hints[f.name], data[f.name])
            except (TypeError, ValueError):
                raise InputError(f"option « {f.name} » illisible dans le journal d'exécution ({data[f.name]!r})",
                                 "donnez le résumé JSON écrit par access30, sans le modifier") from None
    return cls(**values)


def _restored(kind, value):
    if value is None:
        return None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        for option in (a for a in args if a is not type(None)):
            try:
                return _restored(option, value)
            except (TypeError, ValueError):
                continue
        raise TypeError(kind)
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise TypeError(kind)
        return restore(kind, value)
    if kind is Path:
        if not isinstance(value, str):
            raise TypeError(kind)
        return Path(value)
    if origin is tuple:
        if not isinstance(value, list):
            raise TypeError(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_restored(args[0], v) for v in value)
        if len(args) != len(value):
            raise TypeError(kind)
        return tuple(_restored(a, v) for a, v in zip(args, value))
    if kind is bool:
        if not isinstance(value, bool):
            raise TypeError(kind)
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(kind)
        return kind(value)
    if kind is str:
        if not isinstance(value, str):
            raise TypeError(kind)
        return value
    return value
