"""A département's public inputs, fetched into the cache in one call (``access30 download``).

Five sources (:data:`access30.base.cache.SOURCES`): the OpenStreetMap network of the Geofabrik region
(:func:`access30.base.download.network_file`), the INSEE Filosofi 200 m grid
(:func:`access30.inputs.sources.filosofi.grid_file`), the DILA local-services directory
(:func:`access30.inputs.sources.dila.dila_file`), the data·inclusion structures export
(:func:`access30.inputs.sources.data_inclusion.data_inclusion_file`) and the ANCT list of France Services
(:func:`france_services_file`). Each goes where its loader looks for it, through
:func:`access30.base.cache.obtain` (progress, resume, checks, mirror, manifest); each is reported on its
own, and one failure does not stop the others. The studies fetch the same files the same way on first
use; this command fetches them beforehand (a planner's laptop before going offline, a server behind
a proxy through its mirror).
"""

from __future__ import annotations

from pathlib import Path

from access30.base.cache import SOURCES, RemoteFile, SourceOutcome, obtain, source_folder
from access30.base.departements import normalise_departement
from access30.base.download import network_file
from access30.base.errors import InputError
from access30.base.fetch import download_settings, mirrored_url
from access30.inputs.remote import DEFAULT_VINTAGE, FILOSOFI_VINTAGES, data_inclusion_file, dila_file, grid_file

#: The ANCT list of France Services of 2024-08-01 (the one shipped in ``data/france``), at a fixed commit
#: of its repository: the newest list published at a stable address.
FRANCE_SERVICES_COMMIT = "e1016fd717a8c9cc53406621959c837fb74fc0c9"
FRANCE_SERVICES_URL = (f"https://raw.githubusercontent.com/anct-carto/france_services/{FRANCE_SERVICES_COMMIT}/"
                       "data/liste-fs-20240801.csv")
FRANCE_SERVICES_PAGE = "https://github.com/anct-carto/france_services"
FRANCE_SERVICES_SHA256 = "6eabcb0792c8681af513e65560a7dea08e15d3e72b070a14ca1fed032164efad"
FRANCE_SERVICES_VINTAGE = "2024-08-01"
_FRANCE_SERVICES_NOTE = ("liste du 2024-08-01 (la même que celle livrée avec access30) : aucune liste plus récente "
                         "n'est publiée à une adresse stable")


def france_services_file(cache_dir: str | Path | None = None) -> RemoteFile:
    """The ANCT list of France Services as a file of the cache (its published SHA-256 is checked)."""
    folder = source_folder("france_services", cache_dir)
    return RemoteFile("france_services", FRANCE_SERVICES_URL, (folder / FRANCE_SERVICES_URL.rsplit("/", 1)[-1],),
                      f"liste des France Services (ANCT, {FRANCE_SERVICES_VINTAGE})", FRANCE_SERVICES_PAGE, "csv",
                      FRANCE_SERVICES_VINTAGE, sha256=FRANCE_SERVICES_SHA256, note=_FRANCE_SERVICES_NOTE)


def source_file(source: str, departement: str, cache_dir: str | Path | None = None,
                filosofi_vintage: str = DEFAULT_VINTAGE) -> RemoteFile:
    """Where one source of a département comes from and goes to (a :class:`~access30.base.cache.RemoteFile`)."""
    if source == "network":
        return network_file(departement, cache_dir)
    if source == "grid":
        return grid_file(filosofi_vintage, departement, cache_dir)
    if source == "dila":
        return dila_file(cache_dir)
    if source == "data_inclusion":
        return data_inclusion_file(cache_dir)
    return france_services_file(cache_dir)


def parse_sources(text: str | None) -> tuple[str, ...]:
    """``--only network,grid`` as source keys (every source when None).

    Raises
    ------
    InputError
        Naming an unknown source and the known ones.
    """
    if text is None:
        return SOURCES
    asked = [item.strip() for item in str(text).split(",") if item.strip()]
    unknown = [item for item in asked if item not in SOURCES]
    if unknown or not asked:
        raise InputError(f"source « {unknown[0] if unknown else text} » inconnue",
                         f"sources : {', '.join(SOURCES)} (séparées par des virgules)", column="--only")
    return tuple(name for name in SOURCES if name in asked)


def download_sources(departement: str, only: tuple[str, ...] | list[str] | str = SOURCES, *,
                     cache_dir: str | Path | None = None, mirror: str | None = None, progress: bool | None = None,
                     refresh: bool = False, filosofi_vintage: str = DEFAULT_VINTAGE,
                     timeout_s: float = 60.0) -> list[SourceOutcome]:
    """Fetch a département's public inputs into the cache and say, for each, what happened.

    Parameters
    ----------
    departement : str
        INSEE code.
    only : sequence of str
        Sources wanted, among :data:`access30.base.cache.SOURCES` (all by default).
    cache_dir : path, optional
        Cache folder (default :func:`access30.base.settings.cache_dir`).
    mirror : str, optional
        ``http(s)://host/path/`` replacing every address's scheme and host; None: the setting
        (``--mirror``, ``ACCESS30_MIRROR``).
    progress : bool, optional
        Progress bars on stderr (default: shown).
    refresh : bool
        Download again even what is cached.
    filosofi_vintage : str
        Vintage of the INSEE grid (``2021``, ``2019``, ``2017``).
    timeout_s : float
        Seconds without an answer before giving up on a server.

    Returns
    -------
    list of SourceOutcome
        One per source asked, in the order of :data:`~access30.base.cache.SOURCES`. Failures are
        reported here, not raised; once a server cannot be reached, the other files it serves fail
        at once with the same reason.

    Raises
    ------
    InputError
        Unknown département, source, mirror or Filosofi vintage (before anything is fetched).

    Examples
    --------
    >>> for outcome in download_sources("22", only=("network", "france_services")):  # doctest: +SKIP
    ...     print(outcome)
    réseau routier OpenStreetMap (Geofabrik) : téléchargé — bretagne-latest.osm.pbf, 312,5 Mo
    liste des France Services (ANCT) : déjà en cache — liste du 2024-08-01 …
    """
    dep = normalise_departement(departement)
    only = parse_sources(only) if isinstance(only, str) else tuple(only)
    for name in only:
        parse_sources(name)
    mirrored_url("https://example.org/", mirror)  # an invalid mirror is refused before anything is fetched
    if filosofi_vintage not in FILOSOFI_VINTAGES:
        raise InputError(f"millésime Filosofi « {filosofi_vintage} » inconnu",
                         f"millésimes : {', '.join(FILOSOFI_VINTAGES)}", column="--filosofi")
    unreachable: dict[str, str] = {}
    outcomes = []
    with download_settings(progress=progress):
        for name in (name for name in SOURCES if name in only):
            spec = source_file(name, dep, cache_dir, filosofi_vintage)
            outcomes.append(obtain(spec, dep, cache_dir=cache_dir, mirror=mirror, refresh=refresh,
                                   timeout_s=timeout_s, unreachable=unreachable))
    return outcomes


__all__ = ["FRANCE_SERVICES_URL", "download_sources", "france_services_file", "parse_sources", "source_file"]
