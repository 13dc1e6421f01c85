"""Every lens of the app in a real browser (headless Chromium, selenium), as a planner would use it.

Opening hours at a moment, sectors with an uploaded sectorisation, the review of a département's
places, the national view of a batch, and public transport on La Réunion with the Car Jaune feed
uploaded. Each step checks what the page says against the command line's figures and saves a
screenshot (``ACCESS30_SCREENSHOTS=docs`` keeps them under ``docs/`` for the README).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from access30.cli import main
from tests.app.test_browser import Page, app_url, driver  # noqa: F401 - the fixtures of the browser walk
from tests.paths import SHARED_DATA

pytestmark = pytest.mark.browser
FEED = SHARED_DATA / "gtfs" / "car_jaune_974.gtfs.zip"


def pct(share: float) -> str:
    return f"{100 * share:.1f}".replace(".", ",")


def people(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def summary(tmp: Path, *args: str) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    assert main(["coverage", *args, "--out", str(tmp / "c.gpkg"), "--summary", str(tmp / "c.json"), "--quiet"]) == 0
    return json.loads((tmp / "c.json").read_text(encoding="utf-8"))


def settled(page: Page, words: str) -> str:
    """The page's text once it shows ``words`` (a rerun may still be on its way after a click)."""
    page.wait.until(lambda d: words in page.body())
    page.idle()
    return page.body()


def upload(page: Page, label: str, path: Path) -> None:
    """Give ``path`` to the file uploader whose label starts with ``label``."""
    from selenium.webdriver.common.by import By

    def field(d):
        for box in d.find_elements(By.CSS_SELECTOR, '[data-testid="stFileUploader"]'):
            if box.text.strip().startswith(label):
                return box.find_element(By.CSS_SELECTOR, 'input[type="file"]')
        return False

    page.wait.until(field).send_keys(str(path))
    page.idle()


def type_in(page: Page, label: str, text: str) -> None:
    """Type ``text`` in the text field labelled ``label``, then Enter."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def field(d):
        for box in d.find_elements(By.CSS_SELECTOR, '[data-testid="stTextInput"]'):
            if box.is_displayed() and box.text.strip().startswith(label):
                return box.find_element(By.TAG_NAME, "input")
        return False

    element = page.wait.until(field)
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(text, Keys.ENTER)
    page.idle()


def expand(page: Page, label: str) -> None:
    """Open the expander titled ``label``."""
    from selenium.webdriver.common.by import By

    header = page.wait.until(lambda d: next((e for e in d.find_elements(By.TAG_NAME, "summary")
                                             if e.is_displayed() and label in e.text), False))
    header.click()
    page.idle()


def choose(page: Page, label: str, option: str) -> None:
    """Pick ``option`` in the select box labelled ``label``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    def field(d):
        for box in d.find_elements(By.CSS_SELECTOR, '[data-testid="stSelectbox"]'):
            if box.is_displayed() and box.text.strip().startswith(label):
                return box.find_element(By.TAG_NAME, "input")
        return False

    element = page.wait.until(field)
    element.click()
    element.send_keys(option, Keys.ENTER)
    page.idle()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    pytest.importorskip("distributed")
    networks = tmp_path_factory.mktemp("networks")
    shutil.copy(SHARED_DATA / "osm" / "st_brieuc_loudeac.osm.pbf", networks / "22.osm.pbf")
    out = tmp_path_factory.mktemp("batch")
    main(["batch", "--departements", "22,972", "--networks-dir", str(networks), "--partial-network",
          "--out-dir", str(out), "--cache-dir", str(tmp_path_factory.mktemp("cache")), "--workers", "1", "--quiet"])
    return out


def test_every_lens_in_the_browser(app_url, driver, batch, demo_study, tmp_path):  # noqa: F811 - fixtures
    folder = Path(os.environ.get("ACCESS30_SCREENSHOTS") or tempfile.mkdtemp(prefix="access30_lenses_"))
    folder.mkdir(parents=True, exist_ok=True)
    page = Page(driver, folder)
    driver.get(app_url)
    page.wait.until(lambda d: "Part couverte" in page.body())
    page.idle()

    # Opening hours: the sites open on Tuesday at 18:00 only; the closed ones greyed on the map.
    at_six = summary(tmp_path / "m", "--at", "mardi 18:00")
    page.radio("Lieux ouverts à un moment de la semaine")
    text = settled(page, "Lecture : lieux ouverts")
    assert "Lecture : lieux ouverts le mardi à 18:00" in text
    assert pct(at_six["share_covered"]) in text and people(at_six["population_covered"]) in text
    view = page.map_view()
    assert view["markers"] >= at_six["sites_all"]  # the open sites, and the closed ones greyed
    assert not page.english_leftovers(), page.english_leftovers()
    page.shot("screenshot_horaires")

    # Sectors: a sectorisation uploaded (hand-made for the demo, labelled so).
    codes = sorted(demo_study.demand.units["commune"].astype(str).unique())
    sectors = tmp_path / "handmade_sectors.csv"
    pd.DataFrame({"code_insee": codes, "site_id": ["fs-133" if i % 2 else "fs-135" for i in range(len(codes))]}
                 ).to_csv(sectors, index=False)
    expected = summary(tmp_path / "s", "--sectors", str(sectors))["sectors"]
    page.radio("Lieu du secteur (sectorisation)")
    upload(page, "Sectorisation", sectors)
    text = settled(page, "Lecture : lieu du secteur")
    assert "Lecture : lieu du secteur (handmade_sectors.csv)" in text
    assert pct(expected["share_covered_assigned"]) in text
    page.shot("screenshot_secteurs")
    page.radio("Lieu le plus proche, à toute heure")

    # The review of the Finistère's places (as « access30 sites --departement 29 »).
    page.tab("Lieux d'accueil")
    type_in(page, "Code du département", "29")
    text = settled(page, "Millésimes des sources")
    assert "département 29" in text and "sans coordonnées" in text and "Millésimes des sources" in text
    assert not page.english_leftovers(), page.english_leftovers()
    page.shot("screenshot_lieux")

    # The national view of a batch (22 computed, 972 without its network here: failed, in grey).
    page.tab("Vue nationale")
    type_in(page, "Dossier de sortie du batch", str(batch))
    text = settled(page, "Départements calculés")
    assert "1 sur 2" in text and "Part couverte" in text
    page.shot("screenshot_national")

    # Public transport: La Réunion with the Car Jaune feed, « mardi 09:00 ».
    transit = summary(tmp_path / "t", "--territory", "reunion", "--mode", "transit", "--gtfs", str(FEED),
                      "--at", "mardi 09:00")
    page.tab("Carte et scénarios")
    choose(page, "Territoire", "La Réunion")
    expand(page, "Transports en commun (flux GTFS)")
    upload(page, "Flux d'horaires GTFS", FEED)
    page.radio("Transports en commun")
    page.wait.until(lambda d: pct(transit["share_covered"]) in page.body())
    text = page.body()
    assert people(transit["population_covered"]) in text
    page.tab("Indicateurs")
    settled(page, "Lignes empruntées")
    page.shot("screenshot_transports")
