"""Planners' own files in every shape, through every command (coverage, suggest, report).

Each shape of site list must give the same figures as the plain English CSV of the same sites; each
shape of population file the same total and consistent figures. Files are written from the real
demo data by ``tests/input_files.py`` (derived files say so there).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from access30.cli import main
from tests import input_files as F


def run(capsys, args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def coverage(capsys, folder, population, population_column, sites, extra=()):
    summary = folder / "s.json"
    args = ["coverage", *F.NETWORK_OPTIONS, "--population", population, "--out", folder / "c.gpkg",
            "--summary", summary, "--quiet", *extra]
    if population_column:
        args += ["--population-column", population_column]
    if sites is not None:
        args += ["--sites", sites]
    code, out, err = run(capsys, args)
    assert code == 0, err
    return json.loads(summary.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("inputs")


@pytest.fixture(scope="module")
def population(folder):
    return F.population_points_csv(folder)


@pytest.fixture(scope="module")
def reference(folder, population):
    """The plain English CSV of the same sites: the figures every other shape must give."""
    import _pytest.capture  # noqa: F401 (capsys is function-scoped: call the CLI directly here)

    summary = folder / "ref.json"
    assert main([str(a) for a in ["coverage", *F.NETWORK_OPTIONS, "--population", population,
                                  "--population-column", "population_municipale", "--sites",
                                  F.sites_csv_english(folder), "--out", folder / "ref.gpkg", "--summary", summary,
                                  "--quiet"]]) == 0
    return json.loads(summary.read_text(encoding="utf-8"))


@pytest.mark.parametrize("shape", sorted(F.SITES))
def test_every_site_file_shape_gives_the_same_figures(capsys, folder, population, reference, shape):
    make, extra = F.SITES[shape]
    s = coverage(capsys, folder, population, "population_municipale", make(folder), extra)
    for key in ("sites_total", "population_covered"):
        assert s[key] == pytest.approx(reference[key], rel=1e-9, abs=1e-6), (shape, key)
    for key in ("mean_time_min", "p90_time_min"):  # some shapes round coordinates to 1e-6° (0.1 m)
        assert s[key] == pytest.approx(reference[key], rel=1e-3, abs=1e-2), (shape, key)
    # French type names are read: France Services and CCAS, not « autre ».
    assert set(s["sites_by_type"]) == {"france_services", "ccas"}


@pytest.mark.parametrize("shape", sorted(F.POPULATIONS))
def test_every_population_file_shape(capsys, folder, shape):
    make, column = F.POPULATIONS[shape]
    s = coverage(capsys, folder, make(folder), column, F.sites_csv_english(folder))
    assert s["population_total"] == pytest.approx(154_995, rel=1e-7)  # grids are written to 1e-6 inhabitant
    assert s["population_covered"] + s["population_uncovered"] + s["population_no_road"] == pytest.approx(
        s["population_total"])
    assert 0.9 < s["share_covered"] <= 1.0
    # The label says what is counted and how it is placed.
    expected = {"points": "placés aux points", "polygons": "modélisé", "grid": "carroyage INSEE",
                "townhalls": "placés à la mairie"}[shape.split("_")[0]]
    assert expected in s["population_label"]


def test_geocoded_with_the_ban_geocoder_one_address_unplaced(capsys, folder, population, reference):
    path = F.sites_ban_geocoded(folder)
    summary = folder / "ban.json"
    code, out, _ = run(capsys, ["coverage", *F.NETWORK_OPTIONS, "--population", population, "--population-column",
                                "population_municipale", "--sites", path, "--out", folder / "ban.gpkg",
                                "--summary", summary])
    assert code == 0
    s = json.loads(summary.read_text(encoding="utf-8"))
    assert s["sites_total"] == reference["sites_total"] - 1
    assert "1 lieu sans coordonnées, non pris en compte" in out


def test_addresses_without_coordinates_say_how_to_geocode(capsys, folder, population):
    code, _, err = run(capsys, ["coverage", *F.NETWORK_OPTIONS, "--population", population, "--population-column",
                                "population_municipale", "--sites", F.sites_addresses_only(folder),
                                "--out", folder / "x.gpkg"])
    assert code == 2
    assert "lieux_adresses.csv" in err and "adresses mais pas de coordonnées" in err
    assert "Base Adresse Nationale" in err and "latitude et longitude" in err


@pytest.mark.parametrize("shape", ["xlsx_titles", "combined_column", "csv_french_semicolon"])
def test_suggest_and_report_read_the_same_files(capsys, folder, population, reference, shape):
    """suggest (candidates from the national lists of the département read from the commune codes)
    and report take the same files and start from the same covered population."""
    make, extra = F.SITES[shape]
    sites = make(folder)
    common = [*F.NETWORK_OPTIONS, "--population", population, "--population-column", "population_municipale",
              "--sites", sites, *extra]
    code, _, err = run(capsys, ["suggest", *common, "--k", "1", "--out", folder / "sg.gpkg",
                                "--summary", folder / "sg.json", "--quiet"])
    assert code == 0, err
    suggestion = json.loads((folder / "sg.json").read_text(encoding="utf-8"))
    assert suggestion["population_covered_before"] == pytest.approx(reference["population_covered"], rel=1e-9)
    out_dir = folder / f"pack_{shape}"
    code, _, err = run(capsys, ["report", *common, "--out-dir", out_dir, "--map-size", "600x480", "--quiet"])
    assert code == 0, err
    report = json.loads((out_dir / "synthese.json").read_text(encoding="utf-8"))
    assert report["population_covered"] == pytest.approx(reference["population_covered"], rel=1e-9)
    assert (out_dir / "rapport.pdf").stat().st_size > 10_000


def test_report_into_an_existing_file_is_a_clear_error(capsys, folder, population):
    target = folder / "deja_un_fichier"
    target.write_text("x")
    code, _, err = run(capsys, ["report", *F.NETWORK_OPTIONS, "--population", population, "--population-column",
                                "population_municipale", "--departement", "22", "--out-dir", target])
    assert code == 2 and "dossier de sortie est un fichier" in err


@pytest.mark.parametrize("option", [["--departement", "22"], ["--territory", "22"]])
def test_suggest_with_a_departement_uses_the_national_lists(capsys, folder, population, option):
    code, out, err = run(capsys, ["suggest", *F.NETWORK_OPTIONS, "--population", population,
                                  "--population-column", "population_municipale", *option,
                                  "--candidates", "mairies,france_services", "--k", "2",
                                  "--out", folder / "sd.gpkg", "--summary", folder / "sd.json"])
    assert code == 0, err
    summary = json.loads((folder / "sd.json").read_text(encoding="utf-8"))
    assert (summary["candidates_used"] > 10
            and summary["population_covered_after"] >= summary["population_covered_before"])


def test_notes_and_totals_below_the_table_are_said_not_counted(capsys, folder, population, reference):
    summary = folder / "notes.json"
    code, out, err = run(capsys, ["coverage", *F.NETWORK_OPTIONS, "--population", population, "--population-column",
                                  "population_municipale", "--sites", F.sites_ragged_notes_totals(folder),
                                  "--out", folder / "notes.gpkg", "--summary", summary])
    assert code == 0, err
    assert json.loads(summary.read_text(encoding="utf-8"))["sites_total"] == reference["sites_total"]
    assert "2 lignes de notes ou de totaux sans coordonnées, ignorées" in out and "géocodez" not in out


@pytest.mark.parametrize("text,expected", [
    ("CCAS", "ccas"), ("C.C.A.S.", "ccas"), ("Centre communal d’action sociale", "ccas"),
    ("Centre social", "centre_social"), ("Espace de vie sociale", "centre_social"),
    ("Maison France services", "france_services"), ("Espace France Services", "france_services"),
    ("MDS", "polyvalence"), ("CDAS", "polyvalence"), ("EDAS", "polyvalence"), ("antenne mobile", "hors_les_murs"),
    ("permanence", None)])
def test_free_text_types(text, expected):
    from access30.inputs.sites import normalise_type

    assert normalise_type(text) == expected


def test_types_read_from_names_without_a_type_column(folder):
    """The ANCT list has no type column: « France services de … » says the type."""
    from access30.inputs.sites import read_sites

    sites, _ = read_sites(F.SHARED / "cotes_darmor" / "france_services_22.csv")
    assert set(sites["type"]) == {"france_services"}


def _write_bad(folder, kind):
    s = F.demo_sites()
    if kind == "formulas":
        import openpyxl

        path = folder / "formules.xlsx"
        s.to_excel(path, index=False)
        book = openpyxl.load_workbook(path)
        book.active["A2"] = '=CONCATENATE("France services ", "Saint-Brieuc")'
        book.save(path)
        return path, ["formule", "sans valeur calculée", "A2", "enregistrez"]
    if kind == "html_xls":
        path = folder / "export_web.xls"
        s.to_html(path, index=False)
        return path, ["page web (HTML)", ".xlsx"]
    if kind == "two_point_layers":
        path = folder / "deux_couches_points.gpkg"
        F._layer().iloc[:6].to_file(path, layer="france_services")
        F._layer().iloc[6:].to_file(path, layer="ccas")
        return path, ["2 couches de points", "france_services", "ccas", "deux_couches_points.gpkg:"]
    if kind == "unknown_layer":
        return f"{F.sites_gpkg_with_communes(folder)}:lieux", ["couche « lieux » absente", "lieux_accueil"]
    if kind == "lambert_without_crs":
        return F.sites_lambert_csv(folder), ["en mètres", "--sites-crs EPSG:2154", "Lambert-93", "ligne 1"]
    if kind == "zip_of_csv":
        import zipfile

        path = folder / "lieux_csv.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.write(F.sites_csv_english(folder), "lieux.csv")
        return path, ["archive .zip", "décompressez"]
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["formulas", "html_xls", "two_point_layers", "unknown_layer",
                                  "lambert_without_crs", "zip_of_csv"])
def test_bad_site_files_say_what_to_do(capsys, folder, population, kind):
    path, words = _write_bad(folder, kind)
    code, _, err = run(capsys, ["coverage", *F.NETWORK_OPTIONS, "--population", population, "--population-column",
                                "population_municipale", "--sites", path, "--out", folder / "bad.gpkg"])
    assert code == 2, err
    for word in words:
        assert word in err, (word, err)


@pytest.mark.parametrize("kind", ["two_point_layers", "unknown_layer", "lambert_without_crs"])
def test_bad_site_files_in_app_terms(folder, kind):
    """The same errors as the app shows them: no option, no « FICHIER:couche » an upload cannot carry."""
    from access30.base.errors import InputError
    from access30.base.labels import for_app
    from access30.inputs.sites import read_sites

    path, _ = _write_bad(folder, kind)
    with pytest.raises(InputError) as caught:
        read_sites(path)
    shown = for_app(caught.value)
    assert "--" not in shown and "deux-points" not in shown and ".gpkg:" not in shown, shown
    assert "chargez un fichier" in shown or "« Coordonnées des lieux d'accueil » : EPSG:2154" in shown, shown


@pytest.mark.parametrize("departement,crs", [("972", "EPSG:5490"), ("974", "EPSG:2975")])
def test_overseas_utm_coordinates_name_their_crs(folder, departement, crs):
    """The CCAS lists of Martinique and La Réunion in their UTM: the error names the right --sites-crs,
    and with it the file reads."""
    from access30.base.crs import to_projected
    from access30.base.errors import InputError
    from access30.inputs.sites import read_sites

    table = pd.read_csv(F.SHARED / "inventories" / f"premier_accueil_{departement}.csv", dtype=str)
    x, y = to_projected(pd.to_numeric(table["lon"]), pd.to_numeric(table["lat"]), crs)
    path = folder / f"ccas_{departement}_utm.csv"
    table.assign(X=np.round(x, 1), Y=np.round(y, 1)).drop(columns=["lon", "lat"]).to_csv(
        path, index=False, sep=";", decimal=",")
    with pytest.raises(InputError, match=f"--sites-crs {crs}"):
        read_sites(path)
    sites, _ = read_sites(path, crs=crs)
    expected = table["lon"].notna() & (table["lon"] != "")
    assert len(sites) == int(expected.sum())
    assert (sites["type"] == "ccas").sum() >= 20


def _suggest(capsys, folder, sites, candidates, *extra):
    return run(capsys, ["suggest", *F.NETWORK_OPTIONS, "--population", F.population_points_csv(folder),
                        "--population-column", "population_municipale", "--sites", sites,
                        "--candidates", candidates, "--k", "1", "--out", folder / "cand.gpkg",
                        "--summary", folder / "cand.json", *extra])


def test_candidate_file_shapes_through_suggest(capsys, folder):
    """Town halls as candidates in a workbook with a notes sheet first, France Services as sites
    (a layer named FICHIER:couche)."""
    c = F.demo_communes()
    path = folder / "candidats.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([["Lisez-moi"], ["mairies"], ["2025"]]).to_excel(writer, sheet_name="Notes", index=False,
                                                                      header=False)
        pd.DataFrame({"Nom": "Mairie de " + c["nom"], "Longitude": c["mairie_lon"].astype(float),
                      "Latitude": c["mairie_lat"].astype(float)}).to_excel(writer, sheet_name="Candidats", index=False)
    layers = folder / "fs_ccas.gpkg"
    layer = F._layer("EPSG:2154")
    layer[layer["type"].str.contains("France")].to_file(layers, layer="france_services")
    layer[~layer["type"].str.contains("France")].to_file(layers, layer="ccas")
    code, out, err = _suggest(capsys, folder, f"{layers}:france_services", path)
    assert code == 0, err
    s = json.loads((folder / "cand.json").read_text(encoding="utf-8"))
    assert s["population_covered_after"] > s["population_covered_before"]
    assert "feuille « Candidats »" in out and "()" not in out
    code, _, err = _suggest(capsys, folder, f"{layers}:france_services", f"{layers}:ccas")
    assert code == 0, err


@pytest.mark.parametrize("kind,words", [
    ("same_as_sites", ["aucun emplacement candidat du fichier", "d'un lieu d'accueil existant"]),
    ("other_territory", ["aucun des", "emplacements candidats", "--candidates-crs"]),
    ("lambert_without_crs", ["--candidates-crs EPSG:2154"])])
def test_unusable_candidate_files_say_why(capsys, folder, kind, words):
    sites = F.sites_csv_english(folder)
    candidates = {"same_as_sites": sites,
                  "other_territory": F.SHARED / "inventories" / "premier_accueil_972.csv",
                  "lambert_without_crs": F.sites_lambert_csv(folder)}[kind]
    code, _, err = _suggest(capsys, folder, sites, candidates)
    assert code == 2, err
    for word in words:
        assert word in err, (word, err)


def test_report_out_dir_under_a_file_is_a_clear_error(capsys, folder, population):
    target = folder / "un_fichier.txt"
    target.write_text("x")
    code, _, err = run(capsys, ["report", *F.NETWORK_OPTIONS, "--population", population, "--population-column",
                                "population_municipale", "--departement", "22", "--out-dir", target / "rapport"])
    assert code == 2 and "passe par le fichier" in err


# --------------------------------------------------------------------------- population and outline files
def test_population_repairs_and_notes(capsys, folder):
    """An invalid polygon is repaired and said so; IRIS columns (P21_POP) are recognised alone."""
    summary = coverage(capsys, folder, F.population_polygons_invalid(folder), None, F.sites_csv_english(folder))
    notes = " ".join(n["message"] if isinstance(n, dict) else str(n) for n in summary.get("notices", []))
    assert "1 polygone invalide (auto-intersection) corrigé" in notes and "ligne 1" in notes


def test_number_columns_with_thousands_marks():
    import pandas as pd

    from access30.base.io import to_number

    read = lambda *values: to_number(pd.Series(values), "f.csv", "pop").tolist()  # noqa: E731
    assert read("567", "1.234", "12.345") == [567, 1234, 12345]
    assert read("1.234.567", "12") == [1234567, 12]
    assert read("1.234,5", "0,5") == [1234.5, 0.5]
    assert read("1\u00a0234", "1\u202f234", "1 234", "1'234") == [1234] * 4
    # Decimals stay decimals: several decimal counts, or no plain integer beside them.
    assert read("12.5", "1.234", "3") == [12.5, 1.234, 3]
    assert read("1.234", "5.678") == [1.234, 5.678]
    from access30.base.errors import InputError

    with pytest.raises(InputError, match="ligne 2.*valeur manquante"):
        to_number(pd.Series(["3", ""]), "f.csv", "pop")


def test_commune_codes_stored_as_numbers_are_restored(tmp_path):
    """Codes typed as numbers lose their leading zero (Ain: 1001 for 01001); Corsica's 2A stays."""
    import pandas as pd

    from access30.inputs.assemble import infer_departement
    from access30.inputs.population import normalise_commune_codes, read_population

    codes = pd.Series([1001, "2A004", "22001.0", None, "97209"], dtype=object)
    assert normalise_commune_codes(codes).tolist() == ["01001", "2A004", "22001", "", "97209"]
    table = pd.read_csv(F.SHARED / "france" / "communes_population.csv", dtype=str)
    ain = table[table["departement"] == "01"].head(40)
    path = tmp_path / "ain.csv"
    ain.assign(code=ain["code"].astype(int))[["code", "nom", "mairie_lon", "mairie_lat",
                                              "population_municipale"]].to_csv(path, index=False)
    demand = read_population(path)
    assert demand.units["commune"].tolist() == ain["code"].tolist()
    assert infer_departement(demand) == "01"


def test_commune_table_without_coordinates_unknown_code(tmp_path):
    import pandas as pd

    from access30.base.errors import InputError
    from access30.inputs.population import read_population

    path = tmp_path / "codes.csv"
    pd.DataFrame({"code_insee": ["22278", "22999"], "population": ["1 000", "20"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"ligne 2.*code_insee.*code commune inconnu « 22999 »"):
        read_population(path)


def outlines_run(capsys, folder, outlines, name):
    summary = folder / f"{name}.json"
    code, out, err = run(capsys, ["coverage", *F.NETWORK_OPTIONS, "--population", F.population_grid(folder),
                                  "--sites", F.sites_csv_english(folder), "--communes", outlines,
                                  "--out", folder / f"{name}_run.gpkg", "--summary", summary])
    return code, out, err, (json.loads(summary.read_text(encoding="utf-8")) if code == 0 else None)


def test_outlines_in_every_shape(capsys, folder):
    """Outlines as a multi-layer GeoPackage (points first, as mapsf's mtq.gpkg), in Lambert-93, with codes
    stored as numbers: the polygons are read and named communes come out the same."""
    import geopandas as gpd

    communes = F.demo_communes()
    plain = folder / "contours.gpkg"
    communes[["code", "nom", "geometry"]].to_file(plain)
    layered = folder / "contours_couches.gpkg"
    numbers = communes[["code", "nom", "geometry"]].assign(code=communes["code"].astype(int)).to_crs("EPSG:2154")
    gpd.GeoDataFrame(numbers.drop(columns="geometry"), geometry=numbers.geometry.centroid).to_file(
        layered, layer="points")
    numbers.to_file(layered, layer="polygons")
    _, _, _, reference = outlines_run(capsys, folder, plain, "contours")
    code, out, err, summary = outlines_run(capsys, folder, layered, "contours_couches")
    assert code == 0, err
    assert summary["population_covered"] == pytest.approx(reference["population_covered"])
    assert "hors des contours" not in out


def test_outlines_not_covering_the_population(capsys, folder):
    """Outlines of part of the area: the population left out is said with its figures; outlines of another
    territory (Martinique) are refused, naming the file and the distance."""
    partial = folder / "contours_5.gpkg"
    F.demo_communes().head(5)[["code", "nom", "geometry"]].to_file(partial)
    code, out, err, _ = outlines_run(capsys, folder, partial, "contours_5")
    assert code == 0, err
    assert "habitants sur 154 995" in out and "hors des contours des communes de « contours_5.gpkg »" in out
    # The communes left out keep their name and EPCI (national list): no « nan », every EPCI named.
    import geopandas as gpd

    epci = gpd.read_file(folder / "contours_5_run.gpkg", layer="epci")
    assert epci["population"].sum() == pytest.approx(154_995, rel=1e-6)
    assert (epci["epci_nom"].str.len() > 0).all() and "nan" not in out
    from access30.coverage.indicators import _commune_names
    from access30.inputs.assemble import StudyRequest, assemble_study

    study = assemble_study(StudyRequest(population=F.population_grid(folder), sites=F.sites_csv_english(folder),
                                        communes=partial, network=F.DEMO_PBF, partial_network=True,
                                        max_access_m=12000.0))
    names = _commune_names(study, study.demand.units["commune"]).set_index("code")
    assert names.loc["22278", "nom"] == "Saint-Brieuc" and names.loc["22278", "epci_nom"].startswith("Communauté")
    code, _, err, _ = outlines_run(capsys, folder, F.SHARED / "martinique" / "communes_972_datafrance.gpkg", "mtq")
    assert code == 2 and "communes_972_datafrance.gpkg" in err and "aucune unité de population" in err
    assert " km des contours" in err


def test_population_far_from_the_network_is_refused_with_the_distance(capsys, folder):
    code, _, err = run(capsys, ["coverage", *F.NETWORK_OPTIONS, "--population",
                                F.SHARED / "martinique" / "filosofi2017_200m_972.csv", "--sites",
                                F.sites_csv_english(folder), "--out", folder / "far.gpkg"])
    assert code == 2 and "filosofi2017_200m_972.csv" in err and "km de cette emprise" in err


def test_suggest_says_the_population_outside_the_network(capsys, folder):
    """A population file larger than the network: suggest warns with the figures, as coverage does."""
    communes = F.SHARED / "cotes_darmor" / "communes_22.gpkg"
    code, out, err = run(capsys, ["suggest", *F.NETWORK_OPTIONS, "--population", communes, "--population-column",
                                  "population_municipale", "--sites", F.sites_csv_english(folder), "--k", "1",
                                  "--out", folder / "big.gpkg"])
    assert code == 0, err
    assert "hors de l'emprise du réseau routier" in out and "habitants sur 598 814" in out


@pytest.mark.parametrize("name,code", [("Lambert 93", "EPSG:2154"), ("L93", "EPSG:2154"), ("2154", "EPSG:2154"),
                                       ("epsg:2154", "EPSG:2154"), ("UTM 20N", "EPSG:5490"),
                                       ("UTM40S", "EPSG:2975"), ("WGS 84", "EPSG:4326"),
                                       ("Lambert II étendu", "EPSG:27572"), ("EPSG:3857", "EPSG:3857")])
def test_coordinate_systems_as_planners_name_them(name, code):
    from access30.base.crs import crs_option

    assert crs_option(name) == code


def test_sites_crs_written_lambert93(capsys, folder, population, reference):
    summary = coverage(capsys, folder, population, "population_municipale", F.sites_lambert_csv(folder),
                       extra=["--sites-crs", "Lambert93"])
    assert summary["population_covered"] == reference["population_covered"]
