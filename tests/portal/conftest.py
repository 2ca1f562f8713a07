"""One headless chromium for the portal's tests; each test gets a page object on its own platform,
and a screenshot of the page it failed on."""
import shutil
import tempfile

import pytest

from tests.portal.browser import Portal, close_chromium, start_chromium
from tests.portal.ncalayer import FakeNCALayer


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


@pytest.fixture
def ncalayer(chromium):
    """A stand-in NCALayer on a local ws:// port. The portal's CSP lets the page reach only the real one
    (wss://127.0.0.1:13579, checked in test_assets), so the browser sets CSP aside while this runs."""
    driver, _ = chromium
    fake = FakeNCALayer()
    driver.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
    yield fake
    driver.execute_cdp_cmd("Page.setBypassCSP", {"enabled": False})
    fake.close()
