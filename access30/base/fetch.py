"""One download engine for the public inputs: resumable, verified, mirrored, with French errors.

:func:`fetch` streams a file to ``<destination>.part`` beside the destination, with a progress bar
on stderr labelled in French. When a ``.part`` is left by an interrupted run, the next call asks the
server for the rest only (HTTP ``Range``, checked against ``206`` and ``Content-Range``, guarded by
``If-Range`` with the validator the server gave for the first part) and starts again from zero when
the server sends the whole file (``200``). The file received is checked (size, SHA-256 when known, a
format check such as « is it really an ``.osm.pbf`` ») and only then renamed into place, atomically: a
corrupt or truncated file never lies under the final name.

``ACCESS30_MIRROR`` (:func:`access30.base.settings.mirror`), the ``--mirror`` option of the command line
(:func:`download_settings`) or the ``mirror`` argument replaces the scheme and
host of every address and keeps its path, for an administration whose machines reach the internet
only through its own copies: ``https://download.geofabrik.de/europe/france/bretagne-latest.osm.pbf``
with the mirror ``http://miroir.local/m/`` is fetched from
``http://miroir.local/m/europe/france/bretagne-latest.osm.pbf``. The usual ``HTTPS_PROXY`` /
``HTTP_PROXY`` variables are honoured too (by :mod:`urllib`).

:func:`download_settings` sets, for the calls made inside a ``with`` block, whether progress bars are
shown (``--quiet`` hides them), the mirror, and whether downloading is allowed at all (``access30
rerun`` reads only what is in the cache, so that it computes from the same files).

Every failure says, in French, what to download by hand and where to put it. No connection (offline,
unknown host, refused connection, no answer) fails at once, without retries, as
:class:`ServerUnreachable`; a transfer broken halfway as :class:`DownloadInterrupted` (the ``.part``
is kept and a new run resumes it); both are :class:`~access30.base.errors.NetworkUnavailableError`. A missing
file (HTTP 404), another HTTP error, a corrupt file or a full disk raise
:class:`~access30.base.errors.InputError`.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import http.client
import json
import os
import shutil
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib import metadata
from pathlib import Path

from tqdm import tqdm

from access30.base.errors import InputError, NetworkUnavailableError
from access30.base.fmt import fmt_bytes, fmt_dec
from access30.base.settings import mirror as mirror_setting

#: Bytes read at a time (also the progress bar's step).
CHUNK_BYTES = 1 << 16
#: Free space kept on the disk beyond the bytes still to download.
_SPARE_BYTES = 16 << 20
#: Errors of a connection or of a transfer (``URLError`` and socket errors are ``OSError``).
_NETWORK_ERRORS = (OSError, http.client.HTTPException)
#: Settings of the downloads made in a ``with download_settings(...)`` block.
_PROGRESS: contextvars.ContextVar[bool] = contextvars.ContextVar("access30_download_progress", default=True)
_MIRROR: contextvars.ContextVar[str | None] = contextvars.ContextVar("access30_mirror", default=None)
_FORBIDDEN: contextvars.ContextVar[str] = contextvars.ContextVar("access30_downloads_forbidden", default="")


@contextlib.contextmanager
def download_settings(*, progress: bool | None = None, mirror: str | None = None,
                      forbidden: str | None = None) -> Iterator[None]:
    """Settings of every download made inside the block (in this thread or task).

    Parameters
    ----------
    progress : bool, optional
        Show progress bars (default: shown).
    mirror : str, optional
        ``http(s)://host/path/`` replacing the scheme and host of every address (the ``--mirror``
        option); it takes precedence over ``ACCESS30_MIRROR``. Checked at once.
    forbidden : str, optional
        When set, no download is made: a missing file fails at once with this reason (French),
        saying what to fetch by hand and where to put it.

    Examples
    --------
    >>> with download_settings(progress=False, mirror="http://miroir.local/m/"):
    ...     mirrored_url("https://download.geofabrik.de/europe/france/bretagne-latest.osm.pbf")
    'http://miroir.local/m/europe/france/bretagne-latest.osm.pbf'
    """
    if mirror is not None:
        mirrored_url("https://example.org/", mirror)  # an invalid mirror is refused before anything runs
    tokens = []
    for var, value in ((_PROGRESS, progress), (_MIRROR, mirror), (_FORBIDDEN, forbidden)):
        if value is not None:
            tokens.append((var, var.set(value)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def progress_shown() -> bool:
    """Whether downloads show a progress bar here (see :func:`download_settings`)."""
    return _PROGRESS.get()


class DownloadsForbidden(NetworkUnavailableError):
    """A file is missing where downloading is not allowed (``access30 rerun``: the cache only)."""


class ServerUnreachable(NetworkUnavailableError):
    """The server could not be reached at all (offline, unknown host, refused, no answer).

    ``host`` names the server tried, so that a caller fetching several files from it can give up on
    the others at once.
    """

    def __init__(self, message: str, host: str = ""):
        super().__init__(message)
        self.host = host


class DownloadInterrupted(NetworkUnavailableError):
    """The transfer broke off halfway; ``part`` holds the bytes received and a new call resumes."""

    def __init__(self, message: str, part: Path, received: int):
        super().__init__(message)
        self.part = part
        self.received = received


@dataclass(frozen=True)
class FetchResult:
    """A file downloaded and verified.

    Attributes
    ----------
    path : Path
        The destination, now holding the whole file.
    url : str
        The address actually fetched (after the mirror, if any).
    size : int
        Bytes in the file.
    sha256 : str
        Its SHA-256, hexadecimal.
    resumed_from : int
        Bytes that were already in the ``.part`` of an earlier run (0 for a full download).
    elapsed_s : float
        Duration of the call.
    last_modified : str
        The server's ``Last-Modified`` date (``YYYY-MM-DD``), or ``""``: the vintage of files
        published under a fixed name (``…-latest.osm.pbf``).
    """

    path: Path
    url: str
    size: int
    sha256: str
    resumed_from: int = 0
    elapsed_s: float = 0.0
    last_modified: str = ""


@dataclass(frozen=True)
class _Transfer:
    """What one call fetches, and the words of its messages."""

    url: str
    original: str
    destination: Path
    what: str
    page: str
    timeout_s: float
    hint: str = ""

    @property
    def part(self) -> Path:
        return partial_path(self.destination)

    @property
    def meta(self) -> Path:
        return self.part.with_name(self.part.name + ".json")

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc

    def by_hand(self) -> str:
        """The French instruction to fetch the file by hand."""
        if self.hint:
            return self.hint
        where = f" (page : {self.page})" if self.page else ""
        mirrored = f" (ou depuis le miroir : {self.url})" if self.url != self.original else ""
        return (f"téléchargez {self.original}{mirrored}{where} depuis un poste connecté et placez le fichier "
                f"ici : {self.destination}")


@dataclass
class _Opened:
    """A response ready to stream, and where it starts."""

    response: object | None
    offset: int
    total: int | None
    last_modified: str = ""


class _FrenchBar(tqdm):
    """A download's progress bar in French units: « réseau (bretagne) : 42 % |████      | 131,2 Mo sur
    312,5 Mo, 8,4 Mo/s, reste 0:21 »."""

    @staticmethod
    def format_meter(n, total, elapsed, ncols=None, prefix="", initial=0, **_) -> str:  # noqa: D102 - tqdm's API
        rate = (n - initial) / elapsed if elapsed > 0 else 0.0
        speed = f"{fmt_bytes(rate)}/s" if rate else "…"
        if not total:
            return f"{prefix} : {fmt_bytes(n)} reçus, {speed}"
        share = min(n / total, 1.0)
        bar = "█" * int(share * 20)
        left = (total - n) / rate if rate else None
        remaining = f", reste {tqdm.format_interval(left)}" if left is not None else ""
        return (f"{prefix} : {fmt_dec(share * 100, 0)} % |{bar:20s}| {fmt_bytes(n)} sur {fmt_bytes(total)}, "
                f"{speed}{remaining}")


def partial_path(destination: str | Path) -> Path:
    """The ``.part`` file a download of ``destination`` streams into (``x.osm.pbf`` → ``x.osm.pbf.part``)."""
    destination = Path(destination)
    return destination.with_name(destination.name + ".part")


def mirrored_url(url: str, mirror: str | None = None) -> str:
    """The address to fetch: ``url`` with its scheme and host replaced by the mirror's, path kept.

    Parameters
    ----------
    url : str
        The original download address.
    mirror : str, optional
        ``http(s)://host/path/``; None takes the ``--mirror`` option (:func:`download_settings`), else
        ``ACCESS30_MIRROR``; ``""`` means no mirror.

    Returns
    -------
    str

    Raises
    ------
    InputError
        When the mirror is not an ``http(s)://`` address with a host.

    Examples
    --------
    >>> mirrored_url("https://download.geofabrik.de/europe/france/bretagne-latest.osm.pbf",
    ...              "http://127.0.0.1:8123/m/")
    'http://127.0.0.1:8123/m/europe/france/bretagne-latest.osm.pbf'
    """
    if mirror is None:
        mirror = _MIRROR.get()
    base = mirror_setting() if mirror is None else mirror.strip()
    if not base:
        return url
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"adresse de miroir « {base} » invalide",
                         "écrivez-la sous la forme http://hôte/chemin/ (variable ACCESS30_MIRROR)")
    source = urllib.parse.urlsplit(url)
    if source.scheme not in ("http", "https"):  # a local file (file://) is not mirrored
        return url
    path = parts.path.rstrip("/") + "/" + source.path.lstrip("/")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, source.query, ""))


def fetch(url: str, destination: str | Path, *, what: str, sha256: str | None = None,
          expected_size: int | None = None, validate: Callable[[Path], str | None] | None = None,
          progress: bool | None = None, mirror: str | None = None, timeout_s: float = 60.0,
          page: str = "") -> FetchResult:
    """Download ``url`` to ``destination``, resuming an interrupted download, and verify it.

    Parameters
    ----------
    url : str
        The original address (the mirror, if any, is applied here).
    destination : str or Path
        Final path; its folder is created. An existing file there is replaced only once the new one
        is complete and verified.
    what : str
        What the file is, in French (« le réseau routier OpenStreetMap de la région bretagne »): the
        progress bar's label and the subject of every message.
    sha256 : str, optional
        Expected SHA-256 (hexadecimal).
    expected_size : int, optional
        Expected size in bytes.
    validate : callable, optional
        Given the received file, a French reason when it is not what was asked for (see
        :func:`format_check`), else None.
    progress : bool, optional
        Show a progress bar on stderr (default: :func:`progress_shown`).
    mirror : str, optional
        ``http(s)://host/path/`` replacing scheme and host; None takes the setting
        (:func:`download_settings`, ``ACCESS30_MIRROR``), ``""`` disables it.
    timeout_s : float
        Seconds without an answer before giving up (connection and each read).
    page : str
        Web page of the dataset, named in the messages for a download by hand.

    Returns
    -------
    FetchResult

    Raises
    ------
    ServerUnreachable
        Offline, unknown host, refused connection, no answer: at once, without retries.
    DownloadsForbidden
        Downloading is not allowed here (:func:`download_settings`).
    DownloadInterrupted
        The transfer broke off; the ``.part`` is kept and a new call resumes it.
    InputError
        HTTP 404 (« introuvable sur le serveur ») or another HTTP error, a file refused (size,
        checksum, format; the ``.part`` is removed), a full disk or a folder not writable.

    Examples
    --------
    >>> result = fetch("https://download.geofabrik.de/europe/france/bretagne-latest.osm.pbf",
    ...                cache / "osm" / "bretagne-latest.osm.pbf",
    ...                what="réseau routier OpenStreetMap (bretagne)",
    ...                validate=format_check("pbf"))  # doctest: +SKIP
    >>> result.size, result.sha256[:8]  # doctest: +SKIP
    (312456789, '3f1c2a9b')
    """
    started = time.monotonic()
    transfer = _Transfer(mirrored_url(url, mirror), url, Path(destination), what, page, timeout_s)
    _check_allowed(transfer)
    progress = progress_shown() if progress is None else progress
    _make_folder(transfer)
    offset, validator = _resume_point(transfer, expected_size)
    opened = _open(transfer, offset, validator)
    digest = _hash_prefix(transfer.part, opened.offset)
    if opened.response is not None:
        with opened.response:
            _check_space(transfer, opened)
            _stream(transfer, opened, digest, progress)
    size = transfer.part.stat().st_size
    _verify(transfer, size, digest.hexdigest(), expected_size, sha256, validate)
    _move_into_place(transfer)
    return FetchResult(transfer.destination, transfer.url, size, digest.hexdigest(), opened.offset,
                       time.monotonic() - started, opened.last_modified)


def fetch_json(url: str, *, what: str, mirror: str | None = None, timeout_s: float = 30.0, page: str = "",
               hint: str = "") -> dict:
    """A small JSON document (e.g. a data.gouv.fr dataset description), through the mirror if any.

    ``hint`` is the French instruction to get, by hand, the file the description leads to.

    Raises
    ------
    ServerUnreachable, InputError
        As :func:`fetch`; an answer that is not JSON is an :class:`~access30.base.errors.InputError`.
    """
    transfer = _Transfer(mirrored_url(url, mirror), url, Path("description.json"), what, page, timeout_s, hint)
    _check_allowed(transfer)
    request = urllib.request.Request(transfer.url, headers={"User-Agent": _user_agent(),
                                                            "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            text = response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        raise _http_error(transfer, exc) from None
    except (*_NETWORK_ERRORS, ValueError) as exc:
        raise _connect_error(transfer, exc) from None
    try:
        return json.loads(text)
    except ValueError:
        raise InputError(f"{what} ({transfer.url}) : ce n'est pas du JSON",
                         "vérifiez l'adresse du miroir ou du proxy, ou réessayez plus tard") from None


# --------------------------------------------------------------------------------------------
# Steps of a download


def _check_allowed(transfer: _Transfer) -> None:
    reason = _FORBIDDEN.get()
    if reason:
        raise DownloadsForbidden(f"{transfer.what} : absent du cache, et rien n'est téléchargé ({reason}). "
                                 f"Pour l'avoir, {transfer.by_hand()}.")


def _make_folder(transfer: _Transfer) -> None:
    try:
        transfer.destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _write_error(transfer, exc) from None


def _resume_point(transfer: _Transfer, expected_size: int | None) -> tuple[int, str]:
    """Bytes already in a usable ``.part``, and the validator to send with ``If-Range``."""
    meta = {}
    if transfer.meta.is_file():
        try:
            meta = json.loads(transfer.meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
    size = transfer.part.stat().st_size if transfer.part.is_file() else 0
    too_big = expected_size is not None and size > expected_size
    if size == 0 or meta.get("url") != transfer.url or too_big:
        _discard(transfer)
        return 0, ""
    return size, meta.get("etag") or meta.get("last_modified") or ""


def _open(transfer: _Transfer, offset: int, validator: str) -> _Opened:
    """Send the request (with ``Range`` when resuming) and check how the server answers it."""
    headers = {"User-Agent": _user_agent()}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:
            headers["If-Range"] = validator
    try:
        response = urllib.request.urlopen(urllib.request.Request(transfer.url, headers=headers),
                                          timeout=transfer.timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return _range_refused(transfer, offset, exc)
        raise _http_error(transfer, exc) from None
    except (*_NETWORK_ERRORS, ValueError) as exc:
        raise _connect_error(transfer, exc) from None
    last_modified = _date_of(response.headers.get("Last-Modified"))
    if offset and response.status == 206:
        start, total = _content_range(response.headers.get("Content-Range"))
        if start == offset:
            return _Opened(response, offset, total, last_modified)
        response.close()  # not the part asked for: start again from zero
        _discard(transfer)
        return _open(transfer, 0, "")
    if offset:
        _discard(transfer)  # the whole file again (changed on the server, or no Range support)
    _write_meta(transfer, response.headers)
    length = response.headers.get("Content-Length")
    return _Opened(response, 0, int(length) if length and length.isdigit() else None, last_modified)


def _range_refused(transfer: _Transfer, offset: int, exc: urllib.error.HTTPError) -> _Opened:
    """HTTP 416 on resume: the ``.part`` is already whole (kept), or does not fit (start again)."""
    _, total = _content_range(exc.headers.get("Content-Range"))
    exc.close()
    if total == offset:
        return _Opened(None, offset, total)
    _discard(transfer)
    return _open(transfer, 0, "")


def _stream(transfer: _Transfer, opened: _Opened, digest, progress: bool) -> None:
    """Append the response body to the ``.part``, hashing and showing progress."""
    label = transfer.what + (" (reprise)" if opened.offset else "")
    with _FrenchBar(total=opened.total, initial=opened.offset, desc=label, file=sys.stderr, disable=not progress,
                    mininterval=0.5) as bar:
        try:
            with open(transfer.part, "ab" if opened.offset else "wb") as out:
                received = _copy(transfer, opened, out, digest, bar)
        except OSError as exc:  # reading errors became DownloadInterrupted inside _copy
            raise _write_error(transfer, exc) from None
    if opened.total is not None and received < opened.total:
        raise _interrupted(transfer, received, opened.total, "connexion fermée par le serveur")


def _copy(transfer: _Transfer, opened: _Opened, out, digest, bar) -> int:
    received = opened.offset
    while True:
        try:
            chunk = opened.response.read(CHUNK_BYTES)
        except _NETWORK_ERRORS as exc:  # IncompleteRead, reset, timeout
            out.flush()
            raise _interrupted(transfer, received, opened.total, _reason(exc, transfer.timeout_s)) from None
        if not chunk:
            return received
        out.write(chunk)
        digest.update(chunk)
        received += len(chunk)
        bar.update(len(chunk))


def _check_space(transfer: _Transfer, opened: _Opened) -> None:
    if opened.total is None:
        return
    try:
        free = shutil.disk_usage(transfer.part.parent).free
    except OSError:
        return
    needed = opened.total - opened.offset
    if free < needed + _SPARE_BYTES:
        raise InputError(f"{transfer.what} : place insuffisante, {fmt_bytes(needed)} à télécharger, "
                         f"{fmt_bytes(free)} libres",
                         f"libérez de la place dans {transfer.part.parent} (ou choisissez un autre dossier de cache "
                         "avec ACCESS30_CACHE) et relancez")


def _verify(transfer: _Transfer, size: int, sha256: str, expected_size: int | None, expected_sha256: str | None,
            validate: Callable[[Path], str | None] | None) -> None:
    """Refuse (and remove) a file of the wrong size, checksum or format."""
    problem = None
    if expected_size is not None and size != expected_size:
        problem = f"taille reçue {fmt_bytes(size)} ({size} octets) au lieu de {expected_size} octets"
    elif expected_sha256 and sha256.lower() != expected_sha256.strip().lower():
        problem = f"empreinte SHA-256 {sha256[:16]}… au lieu de {expected_sha256.strip().lower()[:16]}…"
    elif validate is not None:
        problem = validate(transfer.part)
    if problem:
        _discard(transfer)
        raise InputError(f"{transfer.what} : fichier reçu refusé, corrompu ou d'un autre format ({problem}) ; "
                         f"il a été supprimé (adresse : {transfer.url})",
                         f"relancez ; si l'erreur se répète, {transfer.by_hand()}")


def _move_into_place(transfer: _Transfer) -> None:
    try:
        os.replace(transfer.part, transfer.destination)
    except OSError as exc:
        raise _write_error(transfer, exc) from None
    transfer.meta.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Small helpers


def _discard(transfer: _Transfer) -> None:
    """Remove the ``.part`` and its description."""
    transfer.part.unlink(missing_ok=True)
    transfer.meta.unlink(missing_ok=True)


def _write_meta(transfer: _Transfer, headers) -> None:
    """Remember the address and the server's validators of a download starting from zero."""
    meta = {"url": transfer.url, "etag": headers.get("ETag") or "", "last_modified": headers.get("Last-Modified") or ""}
    try:
        transfer.meta.write_text(json.dumps(meta), encoding="utf-8")
    except OSError as exc:
        raise _write_error(transfer, exc) from None


def _hash_prefix(path: Path, size: int):
    """A SHA-256 fed with the first ``size`` bytes of ``path`` (the part received by an earlier run)."""
    digest = hashlib.sha256()
    if size:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """Start and total of ``Content-Range: bytes 100-199/200`` (``bytes */200`` gives no start)."""
    if not value or not value.strip().startswith("bytes "):
        return None, None
    span, _, total = value.strip()[6:].partition("/")
    start = span.partition("-")[0]
    return (int(start) if start.isdigit() else None), (int(total) if total.isdigit() else None)


def _date_of(value: str | None) -> str:
    """``YYYY-MM-DD`` of an HTTP date, or ``""``."""
    if not value:
        return ""
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError):
        return ""


def _user_agent() -> str:
    try:
        return f"access30/{metadata.version('access30')}"
    except metadata.PackageNotFoundError:
        return "access30"


def _reason(exc: BaseException, timeout_s: float) -> str:
    """A connection failure in French."""
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, socket.gaierror):
        return "nom de serveur introuvable : pas de connexion internet, ou un proxy est nécessaire"
    if isinstance(reason, ConnectionRefusedError):
        return "connexion refusée par le serveur"
    if isinstance(reason, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return "connexion coupée"
    if isinstance(reason, TimeoutError):
        return f"pas de réponse en {fmt_dec(timeout_s, 0)} s"
    if isinstance(reason, ssl.SSLError):
        return "échec de la connexion sécurisée (certificat, ou proxy qui intercepte)"
    if isinstance(reason, http.client.IncompleteRead):
        return "connexion fermée avant la fin"
    return str(reason).splitlines()[0][:200] if str(reason) else type(reason).__name__


def _connect_error(transfer: _Transfer, exc: BaseException) -> InputError | ServerUnreachable:
    if isinstance(exc, ValueError):
        return InputError(f"adresse de téléchargement invalide : {transfer.url}",
                          "vérifiez l'adresse (et ACCESS30_MIRROR)")
    if transfer.url != transfer.original:
        advice = f"Vérifiez que le miroir {transfer.host} (ACCESS30_MIRROR) est joignable."
    else:
        advice = "Derrière un proxy, définissez HTTPS_PROXY, ou ACCESS30_MIRROR pour un miroir interne."
    return ServerUnreachable(
        f"{transfer.what} : téléchargement impossible depuis {transfer.url} ({_reason(exc, transfer.timeout_s)}). "
        f"{advice} Sans connexion, {transfer.by_hand()}.", host=transfer.host)


def _http_error(transfer: _Transfer, exc: urllib.error.HTTPError) -> InputError:
    code, text = exc.code, exc.reason
    exc.close()
    if code == 404:
        problem = f"{transfer.what} introuvable sur le serveur (HTTP 404 : {transfer.url})"
        fix = ("le fichier a peut-être changé d'adresse ou le miroir ne l'a pas ; " if transfer.url != transfer.original
               else "le fichier a peut-être changé d'adresse ; ") + transfer.by_hand()
    else:
        problem = f"{transfer.what} : refusé par le serveur (HTTP {code} {text} : {transfer.url})"
        fix = ("réessayez plus tard (serveur surchargé ou en maintenance)" if code >= 500
               else "vérifiez le proxy ou le miroir") + " ; sinon " + transfer.by_hand()
    return InputError(problem, fix)


def _interrupted(transfer: _Transfer, received: int, total: int | None, reason: str) -> DownloadInterrupted:
    of = f" sur {fmt_bytes(total)}" if total else ""
    return DownloadInterrupted(
        f"{transfer.what} : téléchargement interrompu après {fmt_bytes(received)}{of} ({reason}). La partie reçue "
        f"est gardée ({transfer.part}) : relancez la même commande, le téléchargement reprendra là où il s'est "
        f"arrêté. Sans connexion stable, {transfer.by_hand()}.", transfer.part, received)


def _write_error(transfer: _Transfer, exc: OSError) -> InputError:
    folder = transfer.destination.parent
    if getattr(exc, "errno", None) == errno.ENOSPC:
        return InputError(f"{transfer.what} : disque plein pendant le téléchargement",
                          f"libérez de la place dans {folder} (ou choisissez un autre dossier de cache avec "
                          "ACCESS30_CACHE) et relancez : le téléchargement reprendra là où il s'est arrêté")
    reason = getattr(exc, "strerror", None) or str(exc)
    return InputError(f"{transfer.what} : écriture impossible pendant le téléchargement ({reason})",
                      f"vérifiez le dossier {folder} et vos droits d'écriture, ou choisissez un autre dossier de cache "
                      "avec ACCESS30_CACHE")



# --------------------------------------------------------------------------------------------
# Format checks


#: Kinds :func:`format_check` knows, with their French name.
FORMATS = {
    "pbf": "un extrait OpenStreetMap .osm.pbf",
    "zip": "une archive .zip",
    "parquet": "un fichier Parquet",
    "bzip2": "une archive .bz2",
    "gzip": "un fichier compressé .gz",
    "csv": "un tableau CSV",
}


def format_check(kind: str) -> Callable[[Path], str | None]:
    """A ``validate`` callback for :func:`fetch` checking a file's first bytes (its « magic number »).

    Parameters
    ----------
    kind : {"pbf", "zip", "parquet", "bzip2", "gzip", "csv"}

    Returns
    -------
    callable
        Given a path, None when the file looks like ``kind``, else a French reason (a web page sent
        by a proxy or a portal instead of the file is named as such).

    Examples
    --------
    >>> check = format_check("pbf")
    >>> check(Path("bretagne-latest.osm.pbf"))  # doctest: +SKIP
    """
    if kind not in FORMATS:
        raise ValueError(f"unknown format {kind!r}; known: {', '.join(FORMATS)}")

    def check(path: Path) -> str | None:
        with open(path, "rb") as handle:
            head = handle.read(4096)
            if kind == "parquet":
                handle.seek(max(0, path.stat().st_size - 4))
                tail = handle.read(4)
        if _looks_like(kind, head, tail if kind == "parquet" else b""):
            return None
        return f"ce n'est pas {FORMATS[kind]} : {_what_it_is(head)}"

    return check


def _looks_like(kind: str, head: bytes, tail: bytes) -> bool:
    if kind == "pbf":
        # A 4-byte header length, then the first BlobHeader: field 1 (type) = "OSMHeader".
        return len(head) > 15 and head[4] == 0x0A and head[6:15] == b"OSMHeader"
    if kind == "zip":
        return head[:4] == b"PK\x03\x04"
    if kind == "parquet":
        return head[:4] == b"PAR1" and tail == b"PAR1"
    if kind == "bzip2":
        return head[:3] == b"BZh"
    if kind == "gzip":
        return head[:2] == b"\x1f\x8b"
    return bool(head) and b"\x00" not in head and not _is_html(head)


def _is_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head")) or b"<html" in text[:512]


def _what_it_is(head: bytes) -> str:
    if not head:
        return "fichier vide"
    if _is_html(head):
        return "page web (HTML) renvoyée par le serveur ou un proxy au lieu du fichier"
    return f"début du fichier {head[:8].hex(' ')}"
