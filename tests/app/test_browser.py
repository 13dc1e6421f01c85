"""The app in a real browser: `streamlit run app.py` driven by headless Chromium through selenium.

One walk through every tab and the main interactions, as a planner would: the headline, the map
(it must open on the territory and stay there after reruns made while another tab is open), the
threshold, opening and closing a site (the scenario must be labelled as such everywhere), a mode
switch (the scenario must survive it), suggestions, every export, « Mes fichiers ». Each step checks
that no English word of Streamlit's is left on screen, and saves a screenshot; with
``ACCESS30_SCREENSHOTS=docs`` they are kept under ``docs/`` for the README.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from tests.paths import REPO

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
#: Streamlit's own English words that must never reach a planner's screen.
ENGLISH = ("Choose an option", "Deploy", "Browse files", "Drag and drop", "200MB", "per file", "Upload", "None",
           "Running", "Stop")
#: The demo territory (Saint-Brieuc – Loudéac), WGS84: west, south, east, north.
DEMO_BOUNDS = (-3.02, 48.20, -2.40, 48.58)  # the 42 communes' units (west -3.013, south 48.203, …)

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return "/usr/bin/chromium missing (apt-get install -y chromium chromium-driver)"
    if not Path(CHROMEDRIVER).exists():
        return "chromedriver missing (apt-get install -y chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install selenium)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url():
    reason = _missing()
    if reason:
        pytest.skip(reason)
    port = _free_port()
    log = tempfile.NamedTemporaryFile(prefix="streamlit_", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                pytest.fail("streamlit exited: " + Path(log.name).read_text()[-2000:])
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("streamlit did not start within 90 s")
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium_profile_")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={profile}", "--window-size=1600,1000", "--lang=fr-FR"):
        options.add_argument(flag)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    drv.set_window_size(1600, 1000)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Page:
    """Helpers to act on the Streamlit page like a user, and to look at it."""

    def __init__(self, driver, folder: Path):
        from selenium.webdriver.support.ui import WebDriverWait

        self.d = driver
        self.folder = folder
        self.wait = WebDriverWait(driver, 240, poll_frequency=0.5)

    def body(self) -> str:
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.TAG_NAME, "body").text

    def idle(self) -> None:
        """Wait until Streamlit has finished running the script (no spinner, no « running » state)."""
        from selenium.webdriver.common.by import By

        time.sleep(0.8)
        self.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stStatusWidget"]'))
        self.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-testid="stSpinner"]'))
        time.sleep(0.8)

    def click(self, text: str, tag: str = "button") -> None:
        from selenium.webdriver.common.by import By

        def find(d):
            for element in d.find_elements(By.TAG_NAME, tag):
                if element.is_displayed() and element.text.strip() == text:
                    return element
            return False

        element = self.wait.until(find)
        self.d.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()
        self.idle()

    def tab(self, text: str) -> None:
        from selenium.webdriver.common.by import By

        element = self.wait.until(lambda d: next((t for t in d.find_elements(By.CSS_SELECTOR, '[role="tab"]')
                                                  if t.text.strip() == text), False))
        element.click()
        self.idle()

    def radio(self, text: str) -> None:
        from selenium.webdriver.common.by import By

        label = self.wait.until(lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, "label")
                                                if e.text.strip() == text), False))
        label.click()
        self.idle()

    def slider_key(self, key: str) -> None:
        """Move the threshold slider one step with the keyboard, as a user would."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        handle = self.d.find_element(By.CSS_SELECTOR, '[data-testid="stSlider"] input[type="range"], [role="slider"]')
        self.d.execute_script("arguments[0].focus();", handle)
        ActionChains(self.d).send_keys(key).perform()
        self.idle()

    def english_leftovers(self) -> list[str]:
        text = self.body()
        return [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", text)]

    def shot(self, name: str) -> np.ndarray:
        from PIL import Image
        from selenium.webdriver.common.actions.action_builder import ActionBuilder

        path = self.folder / f"{name}.png"
        pointer = ActionBuilder(self.d)
        pointer.pointer_action.move_to_location(5, 5)  # off any button: no tooltip over the picture
        pointer.perform()
        self.d.set_window_size(1600, 1400)  # tall enough for the headline and the map together
        self.d.execute_script("window.scrollTo(0, 0);")
        time.sleep(1.5)
        self.d.save_screenshot(str(path))
        self.d.set_window_size(1600, 1000)
        time.sleep(0.5)
        image = np.asarray(Image.open(path).convert("RGB"), dtype=float)
        assert image.std() > 20, f"screenshot {name} is blank"
        return image

    def map_view(self) -> dict:
        """The Leaflet map's bounds and zoom, read inside the streamlit-folium iframe."""
        from selenium.webdriver.common.by import By

        def view(d):
            for frame in d.find_elements(By.CSS_SELECTOR, "iframe"):
                if not frame.is_displayed():
                    continue
                d.switch_to.frame(frame)
                try:
                    found = d.execute_script(
                        "var k = Object.keys(window).find(n => n.startsWith('map_') && window[n]"
                        " && window[n].getBounds);"
                        "if (!k) return null; var m = window[k], b = m.getBounds();"
                        "return {zoom: m.getZoom(), west: b.getWest(), south: b.getSouth(), east: b.getEast(),"
                        " north: b.getNorth(), legend: (document.getElementById('access30-legend') || {}).innerText,"
                        " markers: document.querySelectorAll('.leaflet-marker-icon').length,"
                        " broken: Array.from(document.images).filter(i => !i.classList.contains('leaflet-tile')"
                        " && i.complete && i.naturalWidth === 0).length,"
                        " scale: (document.querySelector('.leaflet-control-scale') || {}).innerText};")
                    if found and found["markers"]:
                        return found
                finally:
                    d.switch_to.default_content()
            return False

        return self.wait.until(view)


def on_territory(view: dict) -> bool:
    """The map shows the whole territory, and not much more (never the whole world)."""
    west, south, east, north = DEMO_BOUNDS
    inside = view["west"] <= west + 0.02 and view["east"] >= east - 0.02 and view["south"] <= south + 0.02 \
        and view["north"] >= north - 0.02
    not_too_wide = (view["east"] - view["west"]) < 6 * (east - west)
    return inside and not_too_wide and view["zoom"] >= 8


def test_a_planner_walks_through_every_tab(app_url, driver, demo_study, demo_routing):
    from access30.coverage.engine import evaluate

    folder = Path(os.environ.get("ACCESS30_SCREENSHOTS") or tempfile.mkdtemp(prefix="access30_shots_"))
    folder.mkdir(parents=True, exist_ok=True)
    page = Page(driver, folder)
    expected = evaluate(demo_study, demo_routing, 30.0).summary
    share = f"{100 * expected['share_covered']:.1f}".replace(".", ",")
    covered = f"{expected['population_covered']:,.0f}".replace(",", "\u202f")

    driver.get(app_url)
    page.wait.until(lambda d: "Part couverte" in page.body())
    page.idle()
    text = page.body()
    assert share in text and covered in text and "réseau partiel (routes principales)" in text
    # At 30 min by car the demo covers everyone: said under the figures, with where zones blanches show.
    assert expected["population_covered"] == expected["population_total"]
    assert f"Tous les habitants comptés ({covered}) sont à 30 min ou moins en voiture" in text
    assert "à 25 min : 600 habitants au-delà" in text
    view = page.map_view()
    assert on_territory(view), view
    assert view["markers"] == expected["sites_total"] and view["broken"] == 0
    assert "Légende" in view["legend"] and "0–10 min" in view["legend"]
    assert view["scale"] and "mi" not in view["scale"].split() and ("km" in view["scale"] or " m" in view["scale"])
    assert not page.english_leftovers(), page.english_leftovers()
    image = page.shot("screenshot")
    green = np.all(np.abs(image - np.array([0x1A, 0x98, 0x50])) < 40, axis=2).sum()
    assert green > 500, f"map colours not visible ({green} green pixels)"

    # Nobody to cover at 30 min: the Suggestions tab says so before any button, in French.
    page.tab("Suggestions")
    assert "Personne n'est au-delà de 30 min en voiture : aucun nouveau lieu ne couvrirait" in page.body()

    # Another tab, then the threshold: the map (drawn while hidden) must reopen on the territory. The rest of
    # the walk reads 20 min, where the demo has zones blanches (2 177 people beyond).
    page.tab("Indicateurs")
    assert "Population par classe de temps d'accès" in page.body()
    assert not page.english_leftovers(), page.english_leftovers()
    from selenium.webdriver.common.keys import Keys

    page.slider_key(Keys.ARROW_LEFT)  # 30 → 25 min
    page.slider_key(Keys.ARROW_LEFT)  # 25 → 20 min
    text = page.body()
    assert "Au-delà de 20 min" in text and "2\u202f177" in text and "Tous les habitants comptés" not in text
    page.shot("screenshot_indicateurs")
    page.tab("Carte et scénarios")
    assert on_territory(page.map_view()), "the map lost the territory after a rerun in another tab"

    # A scenario: open a candidate town hall, close a site. Labelled as a scenario, hypothetical on the map.
    page.click("Ouvrir un lieu à cet endroit")
    text = page.body()
    assert "Scénario « Scénario 1 » — hypothèse de travail, pas la situation actuelle" in text
    assert "Ouverture (hypothétique)" in text
    page.click("Fermer ce lieu")
    assert "Fermeture :" in page.body()
    view = page.map_view()
    assert on_territory(view) and "hypothétique" in view["legend"]
    page.shot("screenshot_scenario")

    # Switching to walking keeps the scenario (recomputed), and back.
    page.radio("À pied")
    assert "Scénario « Scénario 1 »" in page.body() and "à pied" in page.body()
    page.radio("Voiture")
    assert "Scénario « Scénario 1 »" in page.body()

    page.tab("Comparer les scénarios")
    assert "Comparer deux scénarios côte à côte" in page.body()
    assert not page.english_leftovers(), page.english_leftovers()
    page.shot("screenshot_scenarios")

    page.tab("Suggestions")
    page.click("Calculer les suggestions")
    page.wait.until(lambda d: "lieux suggérés" in page.body())
    page.idle()
    text = page.body()
    assert re.search(r"\d lieux suggérés", text) and "Population couverte :" in text and "weight_covered" not in text
    assert "à 20 min ou moins" in text
    assert "Suggestions calculées sur le scénario « Scénario 1 »" in text  # the situation shown, said
    assert not re.search(r"Carreau habité \d", text)
    assert not page.english_leftovers(), page.english_leftovers()
    page.shot("screenshot_suggestions")

    page.tab("Export")
    for prepare, download in (("Préparer le classeur Excel", "Télécharger le classeur (.xlsx)"),
                              ("Préparer la carte (PNG)", "Télécharger la carte (.png)"),
                              ("Préparer le rapport (PDF)", "Télécharger le rapport (.pdf)"),
                              ("Préparer le GeoPackage (carreaux, communes, lieux)", "Télécharger le GeoPackage")):
        page.click(prepare)
        page.wait.until(lambda d: download in page.body())
    text = page.body()
    assert "scénario affiché (« Scénario 1 »)" in text
    page.shot("screenshot_export")

    page.tab("Méthode et sources")
    assert "© les contributeurs d'OpenStreetMap" in page.body()
    page.tab("Carte et scénarios")
    assert on_territory(page.map_view()), "the map lost the territory after the other tabs"

    # « Mes fichiers »: the upload panel speaks French.
    page.radio("Mes fichiers")
    assert "Colonne de population" in page.body()
    assert not page.english_leftovers(), page.english_leftovers()  # the uploader's words are drawn in French
    page.shot("screenshot_mes_fichiers")
