"""Every script under scripts/ runs in its --quick mode, so that no benchmark can rot.

The timings themselves live in docs/benchmarks.md (measured with the full modes); here only the
outputs are checked: each script finishes, prints its last line in the documented form, and the
agreement figures it reports are exact.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPTS / args[0]), *args[1:]], capture_output=True, text=True,
                          timeout=timeout, cwd=SCRIPTS.parent)


def last_value(output: str, key: str) -> float:
    last = output.strip().splitlines()[-1]
    match = re.fullmatch(rf"{key}: ([0-9.]+)", last)
    assert match, f"last line is {last!r}, expected « {key}: X »"
    return float(match.group(1))


def test_bench_routing_quick():
    done = run("bench_routing.py", "--quick")
    assert done.returncode == 0, done.stderr
    assert last_value(done.stdout, "speedup_vs_networkx") > 1
    # Both pipelines follow the same model: their unit times agree and the same units are unreachable.
    for line in done.stdout.splitlines():
        if "agreement on" in line:
            assert "unreachable sets equal: True" in line
            assert float(re.search(r"max \|Δ\| ([0-9.e+-]+) s", line).group(1)) < 1e-3
        if "max |Δ second|" in line or "numba two-label" in line:
            assert float(re.search(r"max \|Δ(?: second)?\| ([0-9.e+-]+) s", line).group(1)) == 0.0


def test_bench_suggest_quick():
    done = run("bench_suggest.py", "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    assert last_value(done.stdout, "speedup_vs_spopt") > 0
    assert done.stdout.count("same objective: True") == 3


def test_bench_tour_quick():
    """The « hors les murs » round on a small synthetic network where the midday drive binds."""
    done = run("bench_tour.py", "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    assert last_value(done.stdout, "tour_gap") == 0.0
    tail = done.stdout.strip().splitlines()[-4:]
    assert [line.split(":")[0] for line in tail] == ["tour_solve_s", "tour_total_s", "tour_optimal", "tour_gap"]
    assert tail[2] == "tour_optimal: True" and float(tail[1].split(": ")[1]) > 0
    assert "max_cover_fits False" in done.stdout  # the max covering stops do not fit: the days model ran
    assert done.stdout.count("same objective: True") == 2  # days and compact formulations agree


def test_bench_scenario_quick():
    done = run("bench_scenario.py", "--quick")
    assert done.returncode == 0, done.stderr
    assert last_value(done.stdout, "add_site_with_indicators_s") > 0


def test_bench_capacitated_quick():
    """Capacitated vs uncapacitated location models on the real Martinique grid (reduced sizes)."""
    done = run("bench_capacitated.py", "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("| maxcover capacitated") for line in lines), done.stdout
    assert any(line.startswith("| median capacitated") for line in lines), done.stdout
    assert "capacity_cost_people_k2:" in done.stdout
    assert "MISMATCH" not in done.stdout


def test_bench_transit_quick():
    done = run("bench_transit.py", "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    assert last_value(done.stdout, "transit_all_cells_s") < 60  # the goal: every Réunion cell in under 60 s
    assert any(line.startswith("coverage_30min: households") for line in done.stdout.splitlines())


def test_figures_modes_quick():
    done = run("figures_modes.py", "--quick")
    assert done.returncode == 0, done.stderr
    assert 0 < last_value(done.stdout, "walk_share_covered") < 1
    assert "couverts" in done.stdout


def test_bench_download_quick():
    """A first download through a local mirror, the cached second run, the five sources failing offline."""
    done = run("bench_download.py", "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    assert last_value(done.stdout, "cached_second_run_s") > 0
    assert "| Offline: the five sources fail" in done.stdout


def test_bench_batch_quick():
    done = run("bench_batch.py", "--quick")
    assert done.returncode == 0, done.stdout + done.stderr
    assert last_value(done.stdout, "national_projection_minutes_2cores") > 0
    assert "[assumptions]" in done.stdout and "[read]" in done.stdout


@pytest.mark.browser
def test_bench_app_quick():
    """The app driven by headless Chromium on the demo, a few actions: the five figures of issue 26, last."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("chromium and chromium-driver are needed (apt-get install -y chromium chromium-driver)")
    done = run("bench_app.py", "--quick", timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tail = done.stdout.strip().splitlines()[-5:]
    keys = ["app_action_p50_s", "app_action_max_s", "app_first_render_s", "app_suggest_max_s", "app_rss_growth_pct"]
    for line, key in zip(tail, keys):
        assert re.fullmatch(rf"{key}: -?[0-9.]+", line), (line, key)
    assert "failures: 0" in done.stdout
