"""Nothing lost: no output replaces a file the command reads, and a run writes all its outputs or none.

Every command (coverage, suggest, report, sites, demo, batch) and every output option (``--out``,
``--summary``, the files of an ``--out-dir`` pack) is placed over every input it reads: the user's
files (copies of the real data in ``../shared/data``), the shipped data (the repository's ``data/``,
never written: the refusal comes first and the checksums are compared; or a copy through
``ACCESS30_DATA``) and the cache (``ACCESS30_CACHE``, ``--cache-dir``).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import pytest

import access30.base.writes as outputs_module
from access30.base.errors import InputError
from access30.base.files import atomic_path, os_reason, write_error
from access30.base.writes import PART_PREFIX, Output, Source, check_outputs, clean_leftovers, writing_together
from access30.cli import main
from access30.outputs.pack import REPORT_FILES
from access30.outputs.tables import CSV_NAMES
from tests.paths import REPO

ROOT = REPO
SHARED = ROOT.parent / "shared" / "data"
DATA = ROOT / "data"

#: Input option → a real file it reads.
REAL_INPUTS = {
    "--network": SHARED / "osm" / "st_brieuc_loudeac.osm.pbf",
    "--population": SHARED / "cotes_darmor" / "communes_22.gpkg",
    "--sites": SHARED / "cotes_darmor" / "france_services_22.csv",
    "--communes": SHARED / "cotes_darmor" / "communes_22.gpkg",
    "--sectors": SHARED / "inventories" / "cdas_29_secteurs.csv",
    "--gtfs": SHARED / "gtfs" / "car_jaune_974.gtfs.zip",
    "--candidates": SHARED / "cotes_darmor" / "mairies_22.csv",
    "--mairies-file": SHARED / "cotes_darmor" / "mairies_22.csv",
    "--france-services-file": SHARED / "cotes_darmor" / "france_services_22.csv",
}
STUDY_INPUTS = ("--network", "--population", "--sites", "--communes", "--sectors", "--gtfs")
SUGGEST_INPUTS = STUDY_INPUTS + ("--candidates", "--mairies-file", "--france-services-file")
#: (command, output option) → the inputs that command reads.
FILE_OUTPUTS = {("coverage", "--out"): STUDY_INPUTS, ("coverage", "--summary"): STUDY_INPUTS,
                ("suggest", "--out"): SUGGEST_INPUTS, ("suggest", "--summary"): SUGGEST_INPUTS,
                ("report", "--out-dir"): STUDY_INPUTS}
PACK = [*REPORT_FILES, *CSV_NAMES.values()]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative name → sha256)."""
    return {str(p.relative_to(folder)): digest(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def run(capsys, args: list) -> tuple[int, str]:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def refused(capsys, args: list, *words: str) -> str:
    """Run, expect exit code 2 and an error holding every word; return the error line."""
    code, err = run(capsys, args)
    assert code == 2, err
    line = err.split("Erreur :", 1)[1].strip()
    for word in words:
        assert word in line, f"« {word} » absent de : {line}"
    return line


def pack_name(path: Path, option: str) -> str:
    """The name of a report pack file the input ``path`` can be found under in an ``--out-dir``."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return {"--sectors": "secteurs.csv", "--population": "communes.csv"}.get(option, "lieux_accueil.csv")
    return "couverture.gpkg" if suffix == ".gpkg" else "synthese.json"


def _other_output(command: str, option: str, folder: Path) -> list:
    """The command's other output options, pointing to harmless new files."""
    if command == "report":
        return []
    if option == "--out":
        return ["--summary", folder / "resume.json"]
    return ["--out", folder / "resultat.gpkg"]


# --------------------------------------------------------------------------- class 1: user inputs
CASES = [(command, option, given) for (command, option), inputs in FILE_OUTPUTS.items() for given in inputs]


@pytest.mark.parametrize("command,option,given", CASES, ids=[f"{c}{o}={i}" for c, o, i in CASES])
def test_an_output_over_a_user_input_is_refused_before_anything(tmp_path, capsys, command, option, given):
    """``--out``/``--summary``/a pack file naming a file given to an input option: refused first,
    the input unchanged, nothing written."""
    source = REAL_INPUTS[given]
    folder = tmp_path / "dossier"
    folder.mkdir()
    if option == "--out-dir":
        copy = folder / pack_name(source, given)
        target = folder
    else:
        copy = folder / source.name
        target = copy
    shutil.copyfile(source, copy)
    before = tree_digest(tmp_path)
    args = [command, given, copy, option, target, *_other_output(command, option, folder), "--quiet"]
    if command == "suggest":
        args += ["--k", "2"]
    line = refused(capsys, args, f"fichier lu ({given})", str(copy), option)
    assert "serait remplacé" in line
    assert tree_digest(tmp_path) == before  # the input intact, no output, no temporary file


@pytest.mark.parametrize("name", [n for n in PACK if n.endswith((".csv", ".gpkg", ".json", ".xlsx"))])
def test_report_refuses_an_out_dir_holding_an_input_under_any_pack_name(tmp_path, capsys, name):
    """Every file of the report pack is checked, not only the GeoPackage: an input named like any of them
    in ``--out-dir`` (sites list, sectors, population table, commune outlines) is refused."""
    source = {".csv": SHARED / "cotes_darmor" / "france_services_22.csv",
              ".gpkg": SHARED / "cotes_darmor" / "communes_22.gpkg",
              ".json": None, ".xlsx": None}[Path(name).suffix]
    copy = tmp_path / name
    if source is None:  # a GeoJSON of sites, a workbook of sites, written from the real list
        import geopandas as gpd
        import pandas as pd

        table = pd.read_csv(SHARED / "cotes_darmor" / "france_services_22.csv", dtype=str)
        if name.endswith(".json"):
            gpd.GeoDataFrame(table[["lib_fs"]], geometry=gpd.points_from_xy(
                table["longitude"].astype(float), table["latitude"].astype(float)), crs="EPSG:4326").to_file(
                copy, driver="GeoJSON")
        else:
            table.to_excel(copy, index=False)
    else:
        shutil.copyfile(source, copy)
    option = "--communes" if name.endswith(".gpkg") else "--sites"
    before = tree_digest(tmp_path)
    refused(capsys, ["report", option, copy, "--out-dir", tmp_path, "--quiet"], f"fichier lu ({option})", str(copy))
    assert tree_digest(tmp_path) == before


def test_the_same_file_by_another_name_is_refused(tmp_path, capsys, monkeypatch):
    """A symlink, ``./x/../x`` and a hard link name the same file: refused as well."""
    source = tmp_path / "communes.gpkg"
    shutil.copyfile(REAL_INPUTS["--communes"], source)
    before = digest(source)
    link = tmp_path / "lien.gpkg"
    link.symlink_to(source)
    hard = tmp_path / "dur.gpkg"
    os.link(source, hard)
    monkeypatch.chdir(tmp_path)
    for out in (link, "./sous/../communes.gpkg", hard, "communes.gpkg"):
        (tmp_path / "sous").mkdir(exist_ok=True)
        refused(capsys, ["coverage", "--communes", source, "--out", out, "--quiet"], "fichier lu (--communes)")
    # Given relatively, the input is recognised as well.
    refused(capsys, ["coverage", "--communes", "communes.gpkg", "--out", tmp_path / "communes.gpkg"],
            "fichier lu (--communes)")
    assert digest(source) == before


def test_a_layer_or_sheet_name_does_not_hide_the_file(tmp_path, capsys):
    source = tmp_path / "communes.gpkg"
    shutil.copyfile(REAL_INPUTS["--communes"], source)
    refused(capsys, ["coverage", "--communes", f"{source}:communes", "--out", source], "fichier lu (--communes)")


# --------------------------------------------------------------------------- class 1: shipped data and cache
DATA_TARGETS = [
    ("coverage", "--out", DATA / "cotes_darmor" / "communes_22.gpkg"),
    ("coverage", "--summary", DATA / "cotes_darmor" / "resume.json"),
    ("suggest", "--out", DATA / "cotes_darmor" / "communes_22.gpkg"),
    ("suggest", "--summary", DATA / "inventories" / "resume.json"),
    ("report", "--out-dir", DATA / "cotes_darmor"),
    ("report", "--out-dir", DATA / "nouveau"),
    ("sites", "--out", DATA / "inventories" / "cdas_29.csv"),
    ("sites", "--out", DATA / "inventories" / "cdas_29_secteurs.csv"),
    ("sites", "--out", DATA / "inventories" / "lieux.xlsx"),
    ("demo", "--out-dir", DATA / "cotes_darmor"),
    ("demo", "--out-dir", DATA),
    ("batch", "--out-dir", DATA / "france"),
]


def _command(command: str, option: str, target: Path, elsewhere: Path, extra: list | None = None) -> list:
    """A run of ``command`` writing ``option`` to ``target``, its other output in ``elsewhere``."""
    args = [command]
    if command in ("coverage", "suggest"):
        args += ["--demand", "mairies"]
    if command == "suggest":
        args += ["--k", "2"]
    if command == "sites":
        args += ["--departement", "29"]
    if command == "batch":
        args += ["--departements", "22", "--engine", "local"]
    args += [option, target, *(extra or [])]
    if command in ("coverage", "suggest"):
        args += ["--out", elsewhere / "resultat.gpkg"] if option == "--summary" else \
            ["--summary", elsewhere / "resume.json"]
    return args + ([] if command == "demo" else ["--quiet"])


@pytest.mark.parametrize("command,option,target", DATA_TARGETS,
                         ids=[f"{c}{o}={t.relative_to(ROOT)}" for c, o, t in DATA_TARGETS])
def test_no_command_writes_into_the_shipped_data(tmp_path, capsys, command, option, target):
    """The repository's own data/: refused before anything, not one byte changed, no file added."""
    before = tree_digest(DATA)
    line = refused(capsys, _command(command, option, target, tmp_path), "dossier des données livrées", str(DATA),
                   option)
    assert "lu par les territoires et listes intégrés" in line
    if target.is_file():
        assert "remplacerait ce fichier existant" in line
    assert tree_digest(DATA) == before
    assert not (DATA / "nouveau").exists()


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the shipped data, used through ACCESS30_DATA (the cache empty, in tmp_path)."""
    copy = tmp_path / "donnees"
    shutil.copytree(DATA, copy)
    monkeypatch.setenv("ACCESS30_DATA", str(copy))
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    return copy


@pytest.mark.parametrize("command,option,relative", [
    ("sites", "--out", "inventories/cdas_29.csv"), ("sites", "--out", "inventories/premier_accueil_972.csv"),
    ("coverage", "--out", "cotes_darmor/communes_22.gpkg"), ("coverage", "--summary", "cotes_darmor/r.json"),
    ("suggest", "--out", "martinique/communes_972_datafrance.gpkg"), ("report", "--out-dir", "inventories"),
    ("demo", "--out-dir", "cotes_darmor"), ("batch", "--out-dir", "sortie")])
def test_no_command_writes_into_access30_data(data_copy, tmp_path, capsys, command, option, relative):
    before = tree_digest(data_copy)
    target = data_copy / relative
    refused(capsys, _command(command, option, target, tmp_path), "dossier des données livrées", "(ACCESS30_DATA)")
    assert tree_digest(data_copy) == before


def test_sites_writes_beside_the_data_copy(data_copy, tmp_path, capsys):
    """The shipped lists read through ACCESS30_DATA; the listing written elsewhere is fine."""
    code, err = run(capsys, ["sites", "--departement", "29", "--out", tmp_path / "cdas_29.csv", "--quiet"])
    assert code == 0, err
    assert (tmp_path / "cdas_29.csv").stat().st_size > 0


@pytest.mark.parametrize("command,option", [("coverage", "--out"), ("coverage", "--summary"), ("suggest", "--out"),
                                            ("report", "--out-dir"), ("sites", "--out"), ("demo", "--out-dir"),
                                            ("batch", "--out-dir")])
def test_no_command_writes_into_the_cache(tmp_path, monkeypatch, capsys, command, option):
    """ACCESS30_CACHE holds downloaded lists (here a real list kept as a DILA download would be)."""
    cache = tmp_path / "cache"
    (cache / "dila").mkdir(parents=True)
    cached = cache / "dila" / "france_services_22.csv"
    shutil.copyfile(SHARED / "cotes_darmor" / "france_services_22.csv", cached)
    monkeypatch.setenv("ACCESS30_CACHE", str(cache))
    before = tree_digest(cache)
    target = {"--out": cached if command == "sites" else cache / "dila" / "x.gpkg",
              "--summary": cache / "x.json", "--out-dir": cache / "dila"}[option]
    refused(capsys, _command(command, option, target, tmp_path), "dossier de cache", "(ACCESS30_CACHE)")
    assert tree_digest(cache) == before


@pytest.mark.parametrize("command", ["coverage", "suggest", "report", "sites", "batch"])
def test_no_command_writes_into_its_cache_dir(tmp_path, capsys, command):
    cache = tmp_path / "mon_cache"
    cache.mkdir()
    shutil.copyfile(SHARED / "cotes_darmor" / "mairies_22.csv", cache / "mairies_22.csv")
    option = "--out-dir" if command in ("report", "batch") else "--out"
    target = cache if option == "--out-dir" else cache / ("mairies_22.csv" if command == "sites" else "x.gpkg")
    before = tree_digest(cache)
    refused(capsys, _command(command, option, target, tmp_path, ["--cache-dir", cache]), "dossier de cache",
            "(--cache-dir)")
    assert tree_digest(cache) == before


# --------------------------------------------------------------------------- class 2: checked before computing
@pytest.fixture
def no_routing(monkeypatch):
    """Fail the test if a command starts computing: every check must come before."""
    from access30.cli import study as cli

    def routed(*args, **kwargs):
        raise AssertionError("computation started before the outputs were checked")

    monkeypatch.setattr(cli, "routed_study", routed)


@pytest.mark.parametrize("command", ["coverage", "suggest"])
def test_summary_that_cannot_be_written_is_refused_before_computing(tmp_path, capsys, no_routing, command):
    (tmp_path / "resume.json").mkdir()
    blocker = tmp_path / "fichier"
    blocker.write_text("x")
    extra = ["--k", "2"] if command == "suggest" else []
    cases = [(tmp_path, "est un dossier existant"), (tmp_path / "resume.json", "est un dossier existant"),
             (tmp_path / "absent" / "r.json", "n'existe pas"),
             (blocker / "r.json", "n'est pas un dossier (c'est un fichier existant)"),
             (tmp_path / "r.txt", "extension « .txt »"), (tmp_path / ("r" * 230 + ".json"), "trop long")]
    for summary, words in cases:
        line = refused(capsys, [command, "--demand", "mairies", *extra, "--out", tmp_path / "c.gpkg",
                                "--summary", summary], words, "--summary")
        assert not (tmp_path / "c.gpkg").exists(), line
    # A folder is shown whole: which one is meant is never in doubt.
    line = refused(capsys, [command, "--demand", "mairies", *extra, "--out", tmp_path / "c.gpkg", "--summary",
                            tmp_path / "absent" / "r.json"])
    assert str(tmp_path / "absent") in line


def test_unwritable_summary_folder_refused_before_computing(tmp_path, capsys, no_routing, monkeypatch):
    locked = tmp_path / "verrouille"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == locked else real_access(p, mode, **kw))
    refused(capsys, ["coverage", "--demand", "mairies", "--out", tmp_path / "c.gpkg", "--summary",
                     locked / "r.json"], "non accessible en écriture", str(locked))
    assert list(tmp_path.glob("*.gpkg")) == []


@pytest.mark.parametrize("name", ["rapport.pdf", "carte.png", "communes.csv", "synthese.json"])
def test_report_pack_member_that_is_a_folder_is_refused_before_computing(tmp_path, capsys, no_routing, name):
    (tmp_path / name).mkdir()
    refused(capsys, ["report", "--demand", "mairies", "--out-dir", tmp_path], "est un dossier existant",
            str(tmp_path / name))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# --------------------------------------------------------------------------- class 2: all or nothing
def _old_pack(folder: Path) -> dict[str, str]:
    folder.mkdir(exist_ok=True)
    (folder / "couverture.gpkg").write_bytes(b"ancienne couverture")
    (folder / "communes.csv").write_text("ancien tableau\n")
    (folder / "notes.txt").write_text("les notes de l'utilisateur\n")
    return tree_digest(folder)


def test_report_pack_is_all_or_nothing(tmp_path, capsys, monkeypatch):
    """The PDF (written after the GeoPackage, the workbook, the CSV tables and the map) fails: no new
    file of the pack appears, the older ones are intact, no temporary folder is left."""
    from access30.outputs import pack as report  # the name the pack writer calls

    before = _old_pack(tmp_path)

    def failing(result, path, *args, **kwargs):  # the disk fails while the PDF is written
        with atomic_path(path) as tmp:
            tmp.write_bytes(b"%PDF-1.4 tronqu")
            raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(report, "write_pdf", failing)
    line = refused(capsys, ["report", "--demand", "mairies", "--out-dir", tmp_path, "--map-size", "400x300",
                            "--quiet"], "écriture impossible", "rapport.pdf", "erreur d'entrée-sortie du disque")
    assert "Input/output" not in line
    assert tree_digest(tmp_path) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_report_pack_replaces_the_older_files_as_a_whole(tmp_path, capsys):
    _old_pack(tmp_path)
    code, err = run(capsys, ["report", "--demand", "mairies", "--out-dir", tmp_path, "--map-size", "400x300",
                             "--quiet"])
    assert code == 0, err
    names = {p.name for p in tmp_path.iterdir()}
    assert set(REPORT_FILES) <= names and "communes.csv" in names and "notes.txt" in names
    assert (tmp_path / "couverture.gpkg").read_bytes()[:16] == b"SQLite format 3\x00"
    assert (tmp_path / "communes.csv").read_text(encoding="utf-8-sig") != "ancien tableau\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_coverage_outputs_are_all_or_nothing(tmp_path, capsys, monkeypatch):
    """The JSON summary fails after the GeoPackage was written: neither appears (the older GeoPackage stays)."""
    from access30.cli import study as export  # the name the command calls

    out = tmp_path / "c.gpkg"
    out.write_bytes(b"ancienne version")

    def failing(result, path, *args, **kwargs):
        with atomic_path(path):
            raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(export, "write_summary", failing)
    line = refused(capsys, ["coverage", "--demand", "mairies", "--out", out, "--summary", tmp_path / "r.json",
                            "--quiet"], "permission refusée")
    assert "Permission denied" not in line
    assert out.read_bytes() == b"ancienne version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.gpkg"]


def test_demo_pack_is_all_or_nothing(tmp_path, capsys, monkeypatch):
    from access30.cli import study as export  # the name the command calls

    def failing(result, path, *args, **kwargs):
        with atomic_path(path) as tmp:
            tmp.write_text('{"tronq')
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(export, "write_summary", failing)
    refused(capsys, ["demo", "--out-dir", tmp_path], "disque plein", "demo_couverture.json")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_move_puts_the_older_files_back(tmp_path, monkeypatch):
    """The last step (moving the files into place) fails on the second file: the first is put back."""
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("ancien a")
    real_replace = os.replace
    moved = []

    def replace(src, dst):
        if Path(dst) == second and Path(src).parent != tmp_path:
            raise OSError(errno.EROFS, "Read-only file system")
        moved.append(dst)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(InputError, match="lecture seule"):
        with writing_together([first, second]) as written:
            written.path(first).write_text("nouveau a")
            written.path(second).write_text("nouveau b")
    assert first in moved and first.read_text() == "ancien a" and not second.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_leftovers_of_an_interrupted_run_are_removed_by_the_next(tmp_path, capsys, monkeypatch):
    """A run killed while writing leaves its temporary folder; the next run writing there removes it,
    but not that of a run still going."""
    monkeypatch.setenv("ACCESS30_CACHE", str(tmp_path / "cache"))
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f"{PART_PREFIX}{dead}-abc123"
    stale.mkdir()
    (stale / "lieux.csv").write_text("à moitié")
    alive = tmp_path / f"{PART_PREFIX}{os.getppid()}-def456"  # the parent process runs
    alive.mkdir()
    code, err = run(capsys, ["sites", "--departement", "29", "--out", tmp_path / "lieux.csv", "--quiet"])
    assert code == 0, err
    assert not stale.exists() and alive.exists()
    assert clean_leftovers([tmp_path]) == []


def test_leftovers_of_another_system_are_removed_when_old(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs_module, "_PROCESSES_KNOWN", False)
    old = tmp_path / f"{PART_PREFIX}4242-old"
    old.mkdir()
    os.utime(old, (1_000_000, 1_000_000))
    recent = tmp_path / f"{PART_PREFIX}4243-new"
    recent.mkdir()
    assert clean_leftovers([tmp_path]) == [old.resolve()]
    assert recent.exists()


# --------------------------------------------------------------------------- the check itself
def test_check_outputs_names_both_paths(tmp_path):
    read = tmp_path / "lieux.csv"
    read.write_text("x")
    with pytest.raises(InputError) as caught:
        check_outputs([Output(tmp_path / "sous" / ".." / "lieux.csv", "--out")], [Source(read, "--sites")])
    message = str(caught.value)
    assert "(--sites)" in message and str(tmp_path) in message and "option « --out »" in message


def test_two_outputs_on_one_file(tmp_path):
    with pytest.raises(InputError, match="deux sorties sur le même fichier"):
        check_outputs([Output(tmp_path / "a.json", "--out"), Output(tmp_path / "./a.json", "--summary")], [])


def test_a_summary_over_a_geojson_of_sites_is_refused(tmp_path, capsys):
    import geopandas as gpd
    import pandas as pd

    table = pd.read_csv(SHARED / "cotes_darmor" / "france_services_22.csv", dtype=str)
    sites = tmp_path / "lieux.json"
    gpd.GeoDataFrame(table[["lib_fs"]], geometry=gpd.points_from_xy(table["longitude"].astype(float),
                     table["latitude"].astype(float)), crs="EPSG:4326").to_file(sites, driver="GeoJSON")
    before = digest(sites)
    refused(capsys, ["coverage", "--demand", "mairies", "--sites", sites, "--out", tmp_path / "c.gpkg",
                     "--summary", sites], "fichier lu (--sites)", "--summary")
    assert digest(sites) == before


# --------------------------------------------------------------------------- class 5: words
@pytest.mark.parametrize("number,words", [
    (errno.EISDIR, "dossier"), (errno.ENOTDIR, "pas un dossier"), (errno.EACCES, "permission refusée"),
    (errno.EPERM, "non permise"), (errno.ENOENT, "introuvable"), (errno.ENOSPC, "disque plein"),
    (errno.EROFS, "lecture seule"), (errno.EEXIST, "existe déjà"), (errno.ENAMETOOLONG, "trop long"),
    (errno.EIO, "entrée-sortie"), (errno.EMFILE, "trop de fichiers"), (9999, "erreur système n° 9999")])
def test_system_errors_are_said_in_french(tmp_path, number, words):
    exc = OSError(number, os.strerror(number))
    assert words in os_reason(exc)
    message = str(write_error(exc, tmp_path / "x.gpkg"))
    assert os.strerror(number) not in message and "error" not in message.lower()


def test_output_folder_that_cannot_be_created_is_said_in_french(tmp_path, capsys, monkeypatch):
    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.name == "interdit":
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    line = refused(capsys, ["report", "--demand", "mairies", "--out-dir", tmp_path / "interdit"],
                   "impossible à créer (permission refusée)", str(tmp_path / "interdit"))
    assert "Permission denied" not in line


def test_a_folder_is_shown_whole(tmp_path):
    folder = tmp_path / "sorties" / "2025"
    folder.mkdir(parents=True)
    assert f"dossier « {folder} »" in str(InputError("problème", path=folder))
    assert f"dossier « {tmp_path / 'absent'} »" in str(InputError("problème", path=tmp_path / "absent", folder=True))
    assert "fichier « a.csv »" in str(InputError("problème", path=folder / "a.csv"))


def test_an_output_folder_that_is_a_file_is_shown_whole(tmp_path, capsys):
    blocker = tmp_path / "sorties"
    blocker.write_text("x")
    refused(capsys, ["demo", "--out-dir", blocker], "est un fichier existant", "déplacez ce fichier", str(blocker))
