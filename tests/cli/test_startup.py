"""The command line answers at once: each command imports only its own module, and the data commands
(``download``, ``cache``) load neither pandas nor geopandas (a second download says « déjà en cache »
in a fraction of a second; the timing itself is in scripts/bench_download.py, not here)."""

import inspect
import subprocess
import sys

import pytest

from access30.cli import COMMANDS, batch, cache, command, data, study, tour
from access30.cli.parser import build_parser


def test_every_command_of_the_parser_has_its_function():
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert set(choices) == set(COMMANDS)
    modules = {"access30.cli.batch": batch, "access30.cli.cache": cache, "access30.cli.data": data,
               "access30.cli.study": study, "access30.cli.tour": tour}
    for name, (module, function) in COMMANDS.items():
        assert command(name) is getattr(modules[module], function)
        assert inspect.signature(command(name)).parameters.keys() == {"args"}


@pytest.mark.parametrize("argv", [["cache"], ["download", "--departement", "22", "--only", "network"], ["--help"]])
def test_data_commands_do_not_load_the_scientific_stack(argv, tmp_path):
    # Nothing is reachable (the mirror refuses connections): the command still answers, per source.
    probe = (
        "import sys\n"
        "from access30.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('pandas', 'geopandas', 'scipy', 'shapely', 'pyogrio', 'highspy', 'matplotlib')"
        " if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    env = {"ACCESS30_CACHE": str(tmp_path / "cache"), "ACCESS30_MIRROR": "http://127.0.0.1:9",
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr


def test_study_commands_load_the_stages_they_need():
    probe = ("import sys\nfrom access30.cli import command\ncommand('coverage')\n"
             "print('LOADED', 'access30.coverage.engine' in sys.modules, 'pandas' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "LOADED True True" in done.stdout, done.stdout + done.stderr
