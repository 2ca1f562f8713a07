"""One headless chromium for the portal's tests; each test gets a page object on its own platform,
and a screenshot of the page it failed on."""
import shutil
import tempfile

import pytest

from tests.portal.browser import Portal, close_chromium, start_chromium


@pytest.fixture(scope="session")
def chromium():
    download_dir = tempfile.mkdtemp(prefix="portal-downloads-")
    driver, profile = start_chromium(download_dir)
    yield driver, download_dir
    close_chromium(driver, profile)
    shutil.rmtree(download_dir, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.portal_failed = report.failed
    return report


@pytest.fixture
def portal(request, platform, chromium):
    driver, download_dir = chromium
    page = Portal(driver, platform.base_url, download_dir)
    yield page
    if getattr(request.node, "portal_failed", False):
        page.screenshot(f"FAILED-{request.node.name}")
