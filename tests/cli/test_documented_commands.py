"""Every ``access30`` command shown in the README and the docs runs, on local files.

Commands are read from the fenced code blocks of ``README.md`` and ``docs/*.md`` (backslash
continuations joined, comments dropped). The files they name are replaced by local ones: the
regional extract by the demo extract (a partial network, so ``--partial-network --max-access-m
12000`` are added), the user's population, site and commune files by files written from the real
demo data (``tests/input_files.py``), outputs by a temporary folder. A command that needs the
internet (a département whose network is not cached) must fail with the French message, exit code
2 and no traceback; ``access30 download`` (offline: the tests' mirror refuses at once) must report
every source as failed with what to fetch by hand (exit code 1); ``access30 rerun`` makes again a run of
the demo; every other one must succeed. The cache is an empty temporary folder.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from access30.cli import main
from tests import input_files as F
from tests.paths import REPO

ROOT = REPO
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OFFLINE = ("--territory 29", "--territory martinique", "--territory reunion")


def documented_commands() -> list[tuple[str, str]]:
    """(file name, command) for every ``access30`` command in a fenced code block."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for block in re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, flags=re.S):
            joined = re.sub(r"\\\n\s*", " ", block)
            console = any(line.startswith("$ ") for line in joined.splitlines())  # then other lines are output
            for line in joined.splitlines():
                if console and not line.startswith("$ "):
                    continue
                line = line.strip().removeprefix("$ ").strip()
                if line.startswith("access30 "):
                    found.append((path.name, line.split("  #")[0].split(" # ")[0].strip()))
    return found


COMMANDS = documented_commands()


def test_the_docs_show_commands():
    assert len(COMMANDS) >= 8
    assert {c.split()[1] for _, c in COMMANDS} >= {"demo", "coverage", "suggest", "report"}


@pytest.fixture(scope="module")
def local_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("documented")
    study = folder / "etude.json"  # a run of the demo, made again by « access30 rerun »
    assert main(["coverage", "--territory", "st-brieuc-loudeac", "--out", str(folder / "etude.gpkg"),
                 "--summary", str(study), "--quiet"]) == 0
    return {
        "etude.json": str(study),
        "bretagne-latest.osm.pbf": str(F.DEMO_PBF),
        "Filosofi2017_carreaux_200m.gpkg": str(F.population_grid(folder, "2017", ".gpkg")),
        "communes.gpkg": str(F.population_polygons_gpkg(folder)),
        "mes_lieux.xlsx": str(F.sites_xlsx(folder)),
        "mes_lieux.csv": str(F.sites_csv_english(folder)),
        "secteurs.csv": str(_sectors_csv(folder)),
        "extraits/": str(_networks_dir(folder)),
        "car_jaune_974.gtfs.zip": str(F.SHARED / "gtfs" / "car_jaune_974.gtfs.zip"),
    }, folder


def _sectors_csv(folder: Path) -> Path:
    """Hand-made sectorisation (labelled): every commune of the demo extract to one France Services of 22."""
    import pandas as pd

    from access30.inputs.assemble import load_study

    codes = load_study("st-brieuc-loudeac").demand.units["commune"].astype(str).drop_duplicates()
    path = folder / "handmade_secteurs.csv"
    pd.DataFrame({"code_insee": sorted(codes), "site_id": "fs-133"}).to_csv(path, index=False)
    return path


def _networks_dir(folder: Path) -> Path:
    """A batch's extracts folder: the demo extract as the Côtes-d'Armor's (22)."""
    import shutil

    networks = folder / "extraits"
    networks.mkdir(exist_ok=True)
    shutil.copy(F.DEMO_PBF, networks / "22.osm.pbf")
    return networks


@pytest.mark.parametrize("source,command", COMMANDS, ids=[f"{s}:{c[:60]}" for s, c in COMMANDS])
def test_documented_command_runs(capsys, local_files, source, command, monkeypatch):
    files, folder = local_files
    monkeypatch.setenv("ACCESS30_CACHE", str(folder / f"cache_{abs(hash(command))}"))
    args = shlex.split(command)[1:]
    out_dir = folder / f"run_{abs(hash(command))}"
    out_dir.mkdir(exist_ok=True)
    for i, arg in enumerate(args):
        if arg in files:
            args[i] = files[arg]
        elif i and args[i - 1] in ("--out", "--summary", "--out-dir", "--schedule-out", "--xlsx", "--pdf"):
            args[i] = str(out_dir / Path(arg).name)
        elif i and args[i - 1] == "--mirror":  # never the internet: the tests' mirror, refused at once
            args[i] = os.environ["ACCESS30_MIRROR"]
    if str(F.DEMO_PBF) in args and "--partial-network" not in args:
        args += ["--partial-network", "--max-access-m", "12000"]
    if args[0] == "demo" and "--out-dir" not in args:
        args += ["--out-dir", str(out_dir)]
    quiet = ("coverage", "suggest", "report", "batch", "rerun", "download", "tour")
    code = main(args + (["--quiet"] if args[0] in quiet else []))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if args[0] == "download":  # offline: each source said, with what to fetch by hand and where
        assert code == 1 and "✗ " in out and "placez le fichier ici" in out, out
    elif any(offline in command for offline in OFFLINE) and "--mode transit" not in command:  # no network needed
        assert code == 2 and "Erreur" in err and "réseau" in err, err
    else:
        assert code == 0, err
