"""The app in a real browser: `streamlit run app.py` driven by headless Chromium through selenium.

Checks that the Leaflet map and the covered-share figure render (offline: Leaflet is shipped with the
package), that the screenshot is not blank, and that the page shows the core's covered share.
Set ``ACCESS30_SCREENSHOT`` to a path to keep the screenshot (docs/screenshot.png is made that way).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

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
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
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
                 f"--user-data-dir={profile}", "--window-size=1500,1250"):
        options.add_argument(flag)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_map_and_covered_share_render(app_url, driver, demo_study, demo_routing):
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from access.analysis import evaluate

    expected = evaluate(demo_study, demo_routing, 30.0).summary
    share = f"{100 * expected['share_covered']:.1f}".replace(".", ",")
    covered = f"{expected['population_covered']:,.0f}".replace(",", "\u202f")

    driver.get(app_url)
    wait = WebDriverWait(driver, 180, poll_frequency=1)
    wait.until(lambda d: "Part couverte" in d.find_element(By.TAG_NAME, "body").text)
    text = driver.find_element(By.TAG_NAME, "body").text
    assert share in text, f"covered share {share} % not shown"
    assert covered in text, f"covered population {covered} not shown"
    assert "réseau partiel (routes principales)" in text

    # The map lives in the streamlit-folium iframe: wait for Leaflet's panes and vector layers.
    def map_ready(d):
        for frame in d.find_elements(By.CSS_SELECTOR, "iframe"):
            d.switch_to.frame(frame)
            try:
                paths = d.find_elements(By.CSS_SELECTOR, ".leaflet-container canvas, .leaflet-container path")
                markers = d.find_elements(By.CSS_SELECTOR, ".leaflet-marker-icon")
                legend = d.find_elements(By.ID, "access30-legend")
                if paths and len(markers) >= 10 and legend:
                    return (len(paths), len(markers), legend[0].text)
            finally:
                d.switch_to.default_content()
        return False

    found = wait.until(map_ready)
    assert found[1] == expected["sites_total"]
    assert "0–10 min" in found[2] and "sans accès routier" in found[2]
    time.sleep(2)  # let the canvas finish painting
    shot = Path(os.environ.get("ACCESS30_SCREENSHOT") or Path(tempfile.mkdtemp()) / "app.png")
    driver.save_screenshot(str(shot))
    image = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert image.shape[0] > 500 and image.shape[1] > 800
    assert image.std() > 20, "screenshot is blank"
    # The map's time-class colours are on screen (green of 0–10 min, at least a few hundred pixels).
    green = np.all(np.abs(image - np.array([0x1A, 0x98, 0x50])) < 40, axis=2).sum()
    assert green > 500, f"map colours not visible ({green} green pixels)"
