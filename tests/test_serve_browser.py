"""A real headless Chromium signs in, uploads a faulty workbook and finds the red cell (slow)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from conftest import good_row
from serve_helpers import CHANGSHA, serve_batch, workbook

from pipeline.core.config import Settings
from pipeline.web.app import running

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.is_file() and DRIVER.is_file()),
        reason="Debian's chromium and chromium-driver are not installed",
    ),
]


def test_a_bureau_uploads_a_faulty_workbook_and_sees_the_red_cell(
    settings: Settings, tmp_path: Path
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    served = serve_batch(settings)
    faulty = tmp_path / "长沙市-附件3.xlsx"
    faulty.write_bytes(
        workbook(tmp_path, [good_row(), good_row(name="湘江创业营", mobile="1380731")])
    )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    with running(served.app) as base, tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
        try:
            wait = WebDriverWait(driver, 30)
            driver.get(base + "/")
            driver.find_element(By.ID, "code").send_keys(served.codes[CHANGSHA])
            driver.find_element(By.ID, "sign-in").click()
            chooser = wait.until(ready.presence_of_element_located((By.ID, "file")))
            assert not driver.find_element(By.ID, "busy").is_displayed()
            chooser.send_keys(str(faulty))
            driver.find_element(By.ID, "send").click()
            red = wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "td.error")))
            assert red.get_attribute("data-cell") == "I5" and red.text == "1380731"
            assert "手机号码“1380731”无效" in (red.get_attribute("title") or "")
            problems = driver.find_element(By.ID, "problems").text
            assert "I5" in problems and "手机号码“1380731”无效" in problems
            assert "下载回执" in driver.find_element(By.ID, "receipt").text
        finally:
            driver.quit()
