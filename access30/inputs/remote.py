"""Where each public source is downloaded from, as files of the cache: addresses, pages, vintages.

Light on purpose (no pandas, no geopandas): ``access30 download`` and ``access30 cache`` describe and fetch
the files without loading the readers of :mod:`access30.inputs.sources`.

Examples
--------
>>> from access30.inputs.remote import dila_file
>>> dila_file("/tmp/cache").destination.name
'all_latest.tar.bz2'"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from access30.base.cache import RemoteFile, source_folder
from access30.base.departements import normalise_departement
from access30.base.errors import SourceUnavailableError
from access30.base.fetch import fetch_json

DILA_URL = "https://lecomarquage.service-public.gouv.fr/donnees_locales_v4/all_latest.tar.bz2"


DILA_PAGE = ("https://www.data.gouv.fr/fr/datasets/service-public-gouv-fr-annuaire-de-l-administration-"
             "base-de-donnees-locales/")


ARCHIVE_NAME = "all_latest.tar.bz2"


def dila_file(cache_dir: str | Path | None = None, url: str = DILA_URL) -> RemoteFile:
    """The national export as a file of the cache (``<cache>/dila/all_latest.tar.bz2``)."""
    return RemoteFile("dila", url, (source_folder("dila", cache_dir) / ARCHIVE_NAME,),
                      "Annuaire de l'administration (DILA, ~350 Mo)", DILA_PAGE, "bzip2")


DI_DATASET = "6233723c2c1e4a54af2f6b2d"


DI_API = f"https://www.data.gouv.fr/api/1/datasets/{DI_DATASET}/"


DI_PAGE = f"https://www.data.gouv.fr/fr/datasets/{DI_DATASET}/"


def structures_resource(dataset: dict) -> dict:
    """The « structures » resource of the dataset description: Parquet preferred, else CSV.

    Raises
    ------
    SourceUnavailableError
        When the dataset lists none.
    """
    candidates = []
    for resource in dataset.get("resources", []):
        title = str(resource.get("title", "")).lower()
        fmt = str(resource.get("format", "")).lower() or Path(str(resource.get("url", ""))).suffix.lstrip(".")
        if title.startswith("structures") and fmt in ("parquet", "csv"):
            candidates.append((0 if fmt == "parquet" else 1, resource, fmt))
    if not candidates:
        raise SourceUnavailableError(f"Le jeu data·inclusion ({DI_PAGE}) ne propose plus de fichier « structures » en "
                                     "Parquet ou CSV : téléchargez l'export des structures à la main et passez-le "
                                     "avec son chemin.")
    _, resource, fmt = min(candidates, key=lambda c: c[0])
    return {**resource, "format": fmt}


def data_inclusion_file(cache_dir: str | Path | None = None, api_url: str = DI_API) -> RemoteFile:
    """The « structures » export as a file of the cache (``<cache>/data_inclusion/structures.parquet``,
    or ``.csv``): its address, vintage and size are read from the dataset description first."""
    folder = source_folder("data_inclusion", cache_dir)
    candidates = (folder / "structures.parquet", folder / "structures.csv")
    hint = (f"téléchargez depuis un poste connecté le fichier « structures » (Parquet ou CSV) du jeu {DI_PAGE} et "
            f"placez-le ici : {candidates[0]} (ou {candidates[1]})")

    def resolve(mirror: str | None, timeout_s: float) -> tuple[str, Path, str, int | None]:
        dataset = fetch_json(api_url, what="la description du jeu data·inclusion", mirror=mirror, timeout_s=timeout_s,
                             page=DI_PAGE, hint=hint)  # its failures say what to fetch by hand: the export
        resource = structures_resource(dataset)
        vintage = str(resource.get("last_modified") or resource.get("created_at") or "")[:10]
        size = resource.get("filesize")
        return (str(resource["url"]), folder / f"structures.{resource['format']}", vintage,
                size if isinstance(size, int) and size > 0 else None)

    return RemoteFile("data_inclusion", api_url, candidates, "export des structures data·inclusion", DI_PAGE, "table",
                      resolve=resolve, manual_hint=hint)


@dataclass(frozen=True)
class FilosofiVintage:
    """One published vintage of the 200 m grid."""

    year: str
    url: str
    page: str
    published: str


FILOSOFI_VINTAGES: dict[str, FilosofiVintage] = {
    "2021": FilosofiVintage("2021", "https://www.insee.fr/fr/statistiques/fichier/8735162/Filosofi2021_carreaux_200m_gpkg.zip",
                            "https://www.insee.fr/fr/statistiques/8735162", "2026-02-16"),
    "2019": FilosofiVintage("2019", "https://www.insee.fr/fr/statistiques/fichier/7655475/Filosofi2019_carreaux_200m_gpkg.zip",
                            "https://www.insee.fr/fr/statistiques/7655475", "2023"),
    "2017": FilosofiVintage("2017", "https://www.insee.fr/fr/statistiques/fichier/6215138/Filosofi2017_carreaux_200m_gpkg.zip",
                            "https://www.insee.fr/fr/statistiques/6215138", "2022"),
}


DEFAULT_VINTAGE = "2021"


NO_GRID = {"971": "Guadeloupe", "973": "Guyane", "975": "Saint-Pierre-et-Miquelon", "976": "Mayotte"}


def grid_file(vintage: str = DEFAULT_VINTAGE, departement: str | None = None,
              cache_dir: str | Path | None = None) -> RemoteFile:
    """The INSEE archive of a vintage as a file of the cache (``<cache>/filosofi/<vintage>/…zip``);
    ``unavailable`` says so for a département without a grid.

    Examples
    --------
    >>> grid_file("2021", "22", "/tmp/cache").destination.name
    'Filosofi2021_carreaux_200m_gpkg.zip'
    """
    spec = FILOSOFI_VINTAGES[vintage]
    dep = normalise_departement(departement) if departement is not None else None
    unavailable = (f"l'INSEE ne publie pas de carroyage Filosofi pour {NO_GRID[dep]} ({dep}) : seulement la France "
                   "métropolitaine, la Martinique et La Réunion") if dep in NO_GRID else ""
    folder = source_folder("grid", cache_dir) / vintage
    return RemoteFile("grid", spec.url, (folder / spec.url.rsplit("/", 1)[-1],),
                      f"carroyage INSEE Filosofi {vintage} (~300 Mo)", spec.page, "zip", vintage,
                      unavailable=unavailable)
