"""The pages for everyone (SPEC §11, WCAG 2.1 AA, the basis of GB/T 37668), in a real headless
Chromium (slow): axe-core finds no serious or critical violation on the sign-in, bureau, result
and clerk pages; a bureau signs in and uploads with the keyboard alone, the focus always visible;
at 200 % zoom no page scrolls sideways; the result is announced.

axe-core comes from the npm registry (``npm install --no-save axe-core@4`` at the repository
root puts it in node_modules/), or from the file named by ``BEIAN_AXE``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, good_row
from serve_helpers import CHANGSHA, Served, serve_batch, workbook
from test_serve_browser import CHROMIUM, DRIVER, FLAGS

from pipeline.core.config import Settings
from pipeline.state.accounts import CLERK
from pipeline.web.app import running

AXE = Path(os.environ.get("BEIAN_AXE", REPO / "node_modules" / "axe-core" / "axe.min.js"))
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """
var done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}}).then(function (r) {
  done(r.violations.map(function (v) {
    return {id: v.id, impact: v.impact, nodes: v.nodes.map(function (n) { return n.target; })};
  }));
});
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.is_file() and DRIVER.is_file()),
        reason="Debian's chromium and chromium-driver are not installed",
    ),
    pytest.mark.skipif(
        not AXE.is_file(),
        reason=f"axe-core is not installed ({AXE}): run `npm install --no-save axe-core@4` "
        "at the repository root, or set BEIAN_AXE to an axe.min.js",
    ),
]


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    with tempfile.TemporaryDirectory() as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
        driver.set_window_size(1280, 900)
        driver.set_script_timeout(60)
        try:
            yield driver
        finally:
            driver.quit()


def serious(driver: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page shown."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(AXE_RUN, RULES)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def no_sideways_scroll_at_200_percent(driver: Any) -> bool:
    """At 200 % zoom of a 1280-pixel screen the page is 640 CSS pixels wide: everything reflows
    into it (wide tables scroll inside their own box, WCAG 1.4.10 allows that)."""
    driver.set_window_size(640, 900)
    try:
        width = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth];"
        )
    finally:
        driver.set_window_size(1280, 900)
    return bool(width[0] <= width[1] + 1)


def press(driver: Any, key: str) -> None:
    """A key pressed on the keyboard (not typed into an element: a file field takes typed
    text as a path)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).send_keys(getattr(Keys, key)).perform()


def tab_to(driver: Any, element_id: str, presses: int = 15) -> bool:
    """Press Tab until the element has the focus; its focus ring must show on the way."""
    for _ in range(presses):
        press(driver, "TAB")
        focused = driver.switch_to.active_element
        outline = driver.execute_script(
            "var s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth];",
            focused,
        )
        assert outline[0] != "none" and outline[1] != "0px", focused.get_attribute("outerHTML")
        if focused.get_attribute("id") == element_id:
            return True
    return False


def test_every_page_passes_axe_and_a_bureau_needs_only_the_keyboard(
    browser: Any, settings: Settings, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    served: Served = serve_batch(settings)
    faulty = tmp_path / "长沙市-附件3.xlsx"
    faulty.write_bytes(
        workbook(tmp_path, [good_row(), good_row(name="湘江创业营", mobile="1380731")])
    )
    wait = WebDriverWait(browser, 60)
    with running(served.app) as base:
        browser.get(base + "/")
        assert serious(browser) == [], "sign-in page"
        assert no_sideways_scroll_at_200_percent(browser), "sign-in page at 200 %"
        code = browser.find_element(By.ID, "code")
        assert browser.find_element(By.CSS_SELECTOR, "label[for=code]").text == "登录码"
        assert browser.switch_to.active_element == code  # the field has the focus at once
        code.send_keys(served.codes[CHANGSHA] + Keys.ENTER)

        chooser = wait.until(ready.presence_of_element_located((By.ID, "file")))
        assert serious(browser) == [], "bureau page"
        assert no_sideways_scroll_at_200_percent(browser), "bureau page at 200 %"
        assert tab_to(browser, "file")
        chooser.send_keys(str(faulty))  # the file dialog itself is the system's, not the page's
        assert tab_to(browser, "send", presses=3)
        busy = browser.find_element(By.ID, "busy")
        assert busy.get_attribute("aria-live") == "polite"
        press(browser, "ENTER")

        wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, "td.error")))
        outcome = browser.find_element(By.ID, "status")
        assert outcome.get_attribute("role") == "status" and outcome.text
        assert browser.switch_to.active_element == outcome  # read out first
        assert serious(browser) == [], "result page"
        assert no_sideways_scroll_at_200_percent(browser), "result page at 200 %"

        browser.delete_all_cookies()
        browser.get(base + "/")
        browser.find_element(By.ID, "code").send_keys(served.codes[CLERK] + Keys.ENTER)
        wait.until(ready.presence_of_element_located((By.ID, "status-table")))
        assert serious(browser) == [], "clerk page"
        assert no_sideways_scroll_at_200_percent(browser), "clerk page at 200 %"
        assert tab_to(browser, "run", presses=40)
