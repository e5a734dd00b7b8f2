"""The Prefect UI and the run report, seen in a real browser (Debian's Chromium, headless, driven by Selenium):
the deployments, the last daily run with its four layer subflows and its artifacts, and the HTML run report with
its charts drawn. Screenshots are kept in .state/ui-check/. `make ui-check` installs Chromium, deploys and runs
a day (`make run`) first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest

from infra.prefect_server import use_configured_prefect_server

use_configured_prefect_server()  # before Prefect is imported (it reads its settings once): the server the UI shows

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import (  # noqa: E402
    ArtifactFilter,
    ArtifactFilterKey,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType  # noqa: E402
from prefect.client.schemas.sorting import ArtifactSort, FlowRunSort  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from infra.settings import settings  # noqa: E402
from tables.spec import LAYERS  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.ui]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# as the machine's notes advise: no background traffic from the browser (its lookups would be refused)
QUIET_BROWSER = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000")
WAIT_SECONDS = 30


@pytest.fixture(scope="module")
def screenshots() -> Path:
    folder = settings().home / "ui-check"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("Chromium is not installed: `make ui-check` installs the Debian packages chromium and "
                    "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    with TemporaryDirectory() as profile:
        for argument in (*QUIET_BROWSER, f"--user-data-dir={profile}"):
            options.add_argument(argument)
        driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
        yield driver
        driver.quit()


def ui(path: str) -> str:
    return f"http://127.0.0.1:{settings().prefect_port}{path}"


def shows(browser: WebDriver, *texts: str) -> str:
    """The page's text, once every one of `texts` is on it."""
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda driver: all(text in driver.find_element(By.TAG_NAME, "body").text for text in texts))
    return browser.find_element(By.TAG_NAME, "body").text


def screenshot(browser: WebDriver, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000, f"{path} looks blank"


@pytest.fixture(scope="module")
def signed_in(browser: WebDriver) -> WebDriver:
    """The local server has basic auth: its login page takes the auth string."""
    browser.get(ui("/login"))
    WebDriverWait(browser, WAIT_SECONDS).until(lambda driver: driver.find_elements(By.CSS_SELECTOR,
                                                                                    "input[type=password]"))
    browser.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(settings().prefect_auth + Keys.ENTER)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda driver: "/login" not in driver.current_url)
    return browser


@pytest.fixture(scope="module")
def last_daily_run() -> FlowRun:
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["rainforest-daily"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.COMPLETED]))),
            sort=FlowRunSort.END_TIME_DESC, limit=1)
    if not runs:
        pytest.fail("no completed rainforest-daily run on the local Prefect server: run `make run` first")
    return runs[0]


def test_the_deployments_are_listed_with_their_schedule(signed_in: WebDriver, screenshots: Path) -> None:
    signed_in.get(ui("/deployments"))
    shows(signed_in, "daily", "rainforest-daily", "backfill", "rainforest-backfill", "maintenance",
          "rainforest-maintenance", "At 05:00 AM every day")
    screenshot(signed_in, screenshots, "deployments")


def test_the_last_daily_run_shows_its_layer_subflows_and_artifacts(signed_in: WebDriver, screenshots: Path,
                                                                    last_daily_run: FlowRun) -> None:
    run_date = str(last_daily_run.parameters["run_date"])
    signed_in.get(ui(f"/runs/flow-run/{last_daily_run.id}"))
    shows(signed_in, last_daily_run.name, "Completed", "rainforest-daily")
    signed_in.find_element(By.ID, "subflow-runs").click()
    shows(signed_in, *(f"rainforest-{layer}" for layer in LAYERS), *(f"{layer}-{run_date}" for layer in LAYERS))
    screenshot(signed_in, screenshots, "daily-run-subflows")
    signed_in.find_element(By.ID, "artifacts").click()
    day = run_date.replace("-", "")
    shows(signed_in, f"soda-run-{day}", f"run-report-{day}", f"restatements-{day}")
    screenshot(signed_in, screenshots, "daily-run-artifacts")


def test_the_run_report_opens_offline_with_its_charts(browser: WebDriver, screenshots: Path,
                                                      last_daily_run: FlowRun) -> None:
    run_date = str(last_daily_run.parameters["run_date"])
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[f"run-report-{run_date.replace('-', '')}"])),
            sort=ArtifactSort.CREATED_DESC, limit=1)
    assert artifacts, f"no run-report artifact for {run_date}"
    match = re.search(r"\((file://[^)]+)\)", str(artifacts[0].data))
    assert match, artifacts[0].data
    browser.get(match.group(1))
    shows(browser, f"Rainforest run for {run_date}", "Order report", "Category report", "Checks of the run",
          "Restatements", "Quality metrics")
    widths = browser.execute_script("return Array.from(document.images).map(image => image.naturalWidth)")
    assert len(widths) >= 2 and all(width > 100 for width in widths), widths  # every chart drawn
    browser.set_window_size(1400, browser.execute_script("return document.documentElement.scrollHeight"))
    screenshot(browser, screenshots, "run-report")  # the whole page
