"""Settings read from the environment, in one place (osmnx keeps its settings the same way).

Each setting is a function, read at the moment it is needed, so that a test or a long-running app
can change the environment between two calls.

``ACCESS30_DATA``
    Folder of the built-in data (default: the project's ``data/``).
``ACCESS30_CACHE``
    Folder of the downloaded public inputs, with its manifest (default: ``$XDG_CACHE_HOME/access30``
    or ``~/.cache/access30``).
``ACCESS30_MIRROR``
    Address of a mirror (``http://host/path/``) that replaces the scheme and host of every download
    address, keeping its path (an administration behind a proxy serving its own copies).
``HIGHS_LOG``
    Any non-empty value shows the HiGHS solver's log.
"""

from __future__ import annotations

import os
from pathlib import Path

from access30.base.errors import InputError
from access30.base.record import note_file

#: The access-time threshold, minutes, when none is given: the 30 minutes of the national commitment.
DEFAULT_THRESHOLD_MIN = 30.0
#: The data shipped with the project.
PROJECT_DATA = Path(__file__).resolve().parents[2] / "data"
#: The national list of communes (population, town hall, EPCI), relative to :func:`data_root`.
NATIONAL_COMMUNES = "france/communes_population.csv.gz"
#: The national list of France Services (ANCT), relative to :func:`data_root`.
NATIONAL_FRANCE_SERVICES = "france/france_services_2024-08-01.csv.gz"


def data_root() -> Path:
    """Folder holding the built-in data (``$ACCESS30_DATA``, else the project's ``data/``)."""
    return Path(os.environ.get("ACCESS30_DATA") or PROJECT_DATA)


def data_path(relative: str) -> Path:
    """A file of the built-in data, e.g. ``data_path("france/epci.csv")``, noted as read by the run
    (:func:`access30.base.record.note_file`).

    Raises
    ------
    InputError
        When the file is missing (a broken install, or ``ACCESS30_DATA`` pointing elsewhere).
    """
    path = data_root() / relative
    if not path.exists():
        raise InputError("fichier de données intégré manquant",
                         f"réinstallez le projet ou définissez ACCESS30_DATA (cherché dans {data_root()})",
                         path=path)
    note_file(path, "données intégrées")  # for the run record (access30.base.record.collecting)
    return path


def cache_dir() -> Path:
    """Per-user cache folder of the downloaded inputs (``$ACCESS30_CACHE`` overrides it)."""
    if os.environ.get("ACCESS30_CACHE"):
        return Path(os.environ["ACCESS30_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "access30"


def mirror() -> str | None:
    """Address of the download mirror (``$ACCESS30_MIRROR``), or None when unset or empty."""
    return os.environ.get("ACCESS30_MIRROR", "").strip() or None


def solver_log() -> bool:
    """Whether the HiGHS solver prints its log (``$HIGHS_LOG`` set and not empty)."""
    return bool(os.environ.get("HIGHS_LOG"))


def locate_debug() -> bool:
    """Whether the capacitated location models print each iteration on stderr (``$ACCESS30_LOCATE_DEBUG``)."""
    return bool(os.environ.get("ACCESS30_LOCATE_DEBUG"))
