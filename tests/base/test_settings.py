"""Settings read from the environment: the default threshold, the built-in data folder and the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from access30.base.errors import InputError
from access30.base.settings import (
    DEFAULT_THRESHOLD_MIN,
    NATIONAL_COMMUNES,
    NATIONAL_FRANCE_SERVICES,
    PROJECT_DATA,
    cache_dir,
    data_path,
    data_root,
    solver_log,
)
from tests.paths import REPO


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("ACCESS30_DATA", "ACCESS30_CACHE", "XDG_CACHE_HOME", "HIGHS_LOG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_default_threshold_is_the_national_thirty_minutes():
    assert DEFAULT_THRESHOLD_MIN == 30.0


def test_project_data_holds_the_national_lists(clean_env):
    assert PROJECT_DATA == REPO / "data"
    assert data_root() == PROJECT_DATA
    assert data_path(NATIONAL_COMMUNES) == REPO / "data" / "france" / "communes_population.csv.gz"
    assert data_path(NATIONAL_COMMUNES).stat().st_size > 100_000
    assert data_path(NATIONAL_FRANCE_SERVICES).is_file()


def test_a_missing_file_names_access30_data(clean_env):
    with pytest.raises(InputError) as exc:
        data_path("france/absent.csv")
    text = str(exc.value)
    assert "ACCESS30_DATA" in text and "absent.csv" in text and str(PROJECT_DATA) in text


def test_access30_data_is_honoured(clean_env, tmp_path):
    (tmp_path / "france").mkdir()
    (tmp_path / "france" / "epci.csv").write_text("code,nom\n", encoding="utf-8")
    clean_env.setenv("ACCESS30_DATA", str(tmp_path))
    assert data_root() == tmp_path
    assert data_path("france/epci.csv") == tmp_path / "france" / "epci.csv"
    # The project's own copy is no longer looked at: the national list is missing from the new folder.
    with pytest.raises(InputError, match="ACCESS30_DATA"):
        data_path(NATIONAL_COMMUNES)


def test_access30_cache_is_honoured(clean_env, tmp_path):
    assert cache_dir() == Path.home() / ".cache" / "access30"
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "access30"
    clean_env.setenv("ACCESS30_CACHE", str(tmp_path / "networks"))
    assert cache_dir() == tmp_path / "networks"


def test_solver_log_only_when_set(clean_env):
    assert solver_log() is False
    clean_env.setenv("HIGHS_LOG", "")
    assert solver_log() is False
    clean_env.setenv("HIGHS_LOG", "1")
    assert solver_log() is True
