"""Errors and warnings that users see.

Every problem with an input file is raised as :class:`InputError`, which names the file, the row
or column when known, what is wrong and how to fix it. The CLI prints it without a traceback and
exits with code 2; the app shows it in a French error box. Messages are in French because planners
read them; code and docs stay in English.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


class Access30Error(Exception):
    """Base class of the errors this package raises on purpose."""


@dataclass
class InputError(Access30Error):
    """A problem with an input file or option that the user can fix.

    Parameters
    ----------
    problem : str
        What is wrong, in French.
    fix : str
        What the user should do about it, in French.
    path : str or Path, optional
        The file concerned.
    row : int, optional
        1-based data row (header excluded) when a single row is at fault.
    column : str, optional
        The column concerned.
    folder : bool
        ``path`` is a folder (also one that does not exist yet): it is shown whole, so that the user
        knows which one. A file is shown by its name; an existing folder is always shown whole.
    """

    problem: str
    fix: str = ""
    path: str | Path | None = None
    row: int | None = None
    column: str | None = None
    folder: bool = False

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.path is not None:
            path = Path(self.path)
            if self.folder or _is_folder(path):
                where.append(f"dossier « {os.path.abspath(path)} »")
            else:
                where.append(f"fichier « {path.name} »")
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column is not None:
            kind = "option" if str(self.column).startswith("--") else "colonne"
            where.append(f"{kind} « {self.column} »")
        head = (", ".join(where) + " : ") if where else ""
        text = head + self.problem
        if self.fix:
            text += " — " + self.fix
        return text


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long, a NUL byte: not a folder one can show
        return False


class NetworkUnavailableError(Access30Error):
    """The road network could not be obtained (no file given and no internet).

    ``label`` names the territory whose network is missing, so that each interface can say what to
    do in its own terms (the command line names its options, the app its controls).
    """

    def __init__(self, message: str, label: str = ""):
        super().__init__(message)
        self.label = label


@dataclass
class Notice:
    """Something the user must know about a result: an estimate, a correction, a data fault.

    Notices are collected along the pipeline and printed with every result, so that no figure
    hides how it was obtained.
    """

    code: str
    message: str
    count: int | None = None
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class SourceUnavailableError(NetworkUnavailableError):
    """A public source cannot be used as published (its dataset no longer offers the file expected);
    the message (French) says what to download by hand. Download failures are those of
    :mod:`access30.base.fetch`."""
