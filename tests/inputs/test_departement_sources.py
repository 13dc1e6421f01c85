"""A département by its code: every built-in list merged, the Filosofi grid when cached, sources dated.

The Filosofi archive (~300 MB) cannot be fetched here: the cached path is tested with the FIXTURE of
``tests/test_sources_filosofi.py`` (400 real Martinique cells in the 2021 schema) written into a
temporary ``ACCESS30_CACHE`` through the loader, as a first online run would leave it.
"""

import pytest

from access30.inputs.assemble import StudyRequest, assemble_study, departement_demand
from access30.inputs.communes import departement_communes
from tests.inputs.sources.test_filosofi import _gpkg_2021, _zip, real_cells  # noqa: F401  (fixture)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("ACCESS30_CACHE", str(folder))
    return folder


def test_without_a_cached_grid_the_population_is_at_the_town_halls_and_this_is_said(cache):
    communes, fixes = departement_communes("972")
    demand, source, notices = departement_demand("972", communes, fixes, StudyRequest(territory="972"))
    assert demand.kind == "points" and len(demand.units) == len(communes)
    assert source.startswith("Population : populations municipales INSEE (millésime 2017")
    [notice] = notices
    # Not in the cache: downloaded on first use; offline (the tests' mirror refuses at once), said with what to
    # fetch by hand and where to put it.
    assert notice.code == "population_town_halls" and "n'a pas pu être téléchargé" in notice.message
    assert "Filosofi 2021" in notice.message and "téléchargement impossible" in notice.message
    assert f"placez le fichier ici : {cache}/filosofi/2021/Filosofi2021_carreaux_200m_gpkg.zip" in notice.message
    assert not [p for p in cache.rglob("*") if p.is_file() and not p.name.startswith(".access30-")]


@pytest.mark.parametrize("code, name", [("971", "Guadeloupe"), ("973", "Guyane"), ("976", "Mayotte")])
def test_no_grid_is_published_for_971_973_976(cache, code, name):
    communes, fixes = departement_communes(code)
    demand, _, [notice] = departement_demand(code, communes, fixes, StudyRequest(territory=code))
    assert demand.kind == "points"
    assert f"l'INSEE ne publie pas de carroyage Filosofi pour {name} ({code})" in notice.message


def test_a_cached_grid_is_used(cache, real_cells, tmp_path):  # noqa: F811
    from access30.inputs.sources.filosofi import filosofi_cache_path, load_filosofi_grid

    frame, _ = real_cells
    archive = _zip(_gpkg_2021(frame, tmp_path), tmp_path)
    load_filosofi_grid("972", url=archive.as_uri())  # the first (online) run, into ACCESS30_CACHE
    assert filosofi_cache_path("972", create=False).is_file()
    communes, fixes = departement_communes("972")
    demand, source, notices = departement_demand("972", communes, fixes, StudyRequest(territory="972"))
    assert demand.kind == "grid" and len(demand.units) == 400 and notices == []
    assert source.startswith("Population : INSEE Filosofi 2021, carroyage 200 m")
    assert demand.units["commune"].str.startswith("972").all()


def test_a_departement_study_names_its_sources_with_their_vintage(cache, shared_data):
    """Sources with vintage reach the study (and from it the report and the workbook's « Sources et
    méthode »); the default lists are all of them, merged, with the per-source report."""
    from access30.coverage.engine import evaluate, route
    from access30.outputs.tables import method_lines

    study = assemble_study(StudyRequest(territory="22", network=shared_data / "osm" / "st_brieuc_loudeac.osm.pbf",
                                        partial_network=True, max_access_m=12_000.0))
    assert study.sources[0].startswith("Réseau routier : st_brieuc_loudeac.osm.pbf")
    assert study.sources[1].startswith("Population : populations municipales INSEE (millésime 2017")
    assert study.sources[2] == "France Services : ANCT, liste du 1er août 2024, Licence Ouverte 2.0"
    assert study.sources[3].startswith("Mairies des communes de 1 500 habitants") and "2017" in study.sources[3]
    codes = [n.code for n in study.notices]
    assert {"sources_report", "dila_not_cached", "data_inclusion_not_cached", "ccas_proxy"} <= set(codes)
    report = next(n.message for n in study.notices if n.code == "sources_report")
    assert report.startswith("Lieux d'accueil du département 22 — France Services (ANCT) : 34 France Services")
    result = evaluate(study, route(study), 30.0)
    written = [text for kind, text in method_lines(result, study) if kind == "Source"]
    assert written == study.sources
