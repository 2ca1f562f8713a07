"""One headless chromium for the portal's tests; each test gets a page object on its own platform."""
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


@pytest.fixture
def portal(platform, chromium):
    driver, download_dir = chromium
    return Portal(driver, platform.base_url, download_dir)
