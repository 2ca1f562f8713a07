"""Headless Debian chromium driven by Selenium with the system chromedriver (no browser download),
and a page object for the portal: sign in by EDS through a test signer (or the portal's NCALayer signer
pointed at a stand-in), find, click, fill, screenshot."""
import base64
import os
import shutil
import tempfile

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.registry.pki import sign_nonce

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "artifacts", "portal")
TEST_SIGNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_signer.js")
WAIT_SECONDS = 15
DESKTOP = (1280, 900)
PHONE = (390, 844)


def start_chromium(download_dir):
    profile = tempfile.mkdtemp(prefix="portal-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
                 "--lang=ru"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": download_dir,
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    return driver, profile


class Portal:
    """The portal in one browser tab, as one person at a time sees it."""

    def __init__(self, driver, base_url, download_dir):
        self.driver = driver
        self.base_url = base_url
        self.download_dir = download_dir

    # Navigation

    def open(self, language="ru", size=DESKTOP, test_signer=True):
        """The portal afresh in `language`; `test_signer=False` keeps the page's own signer (demo mode's)."""
        self.driver.set_window_size(*size)
        self.driver.get(self.base_url + "/")
        self.driver.execute_script("sessionStorage.clear(); localStorage.setItem('sv.lang', arguments[0]);", language)
        self.driver.refresh()
        self.wait(lambda d: d.execute_script("return Boolean(window.StudentVoucher && document.body.dataset.ready)"))
        if test_signer:
            with open(TEST_SIGNER) as f:
                self.driver.execute_script(f.read())
        return self

    def use_ncalayer(self, url):
        """Sign through the portal's own NCALayer signer, talking to the NCALayer at `url`."""
        self.driver.execute_script("StudentVoucher.useSigner(new StudentVoucher.NCALayerSigner(arguments[0]))", url)
        return self

    def go(self, section):
        self.driver.get(f"{self.base_url}/#/{section}")
        return self.wait_for(f'.page[data-page="{section}"]')

    # Signing in: the page's signer asks, the test signs the challenge's text with `user`'s test PKI key

    def sign_pending(self, user):
        request = self.wait(lambda d: d.execute_script("return window.__signRequests.length ? "
                                                       "window.__signRequests[0].dataBase64 : null"))
        signature = sign_nonce(user, base64.b64decode(request).decode("utf-8"))
        self.driver.execute_script("window.__signRequests.shift().resolve(arguments[0])", signature)

    def sign_in(self, user, role=None):
        self.click("#eds-sign-in")
        self.sign_pending(user)
        if role:
            self.click(f'#role-choice button[data-role="{role}"]')
            self.sign_pending(user)
        self.wait_for("#sign-out")
        return self

    # Finding and acting

    def wait(self, condition, timeout=WAIT_SECONDS):
        return WebDriverWait(self.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(condition)

    def wait_for(self, css, text=None, within=None):
        """The first visible element matching `css` (containing `text`, if given), in `within` or the page."""
        scope = within or self.driver
        return self.wait(lambda _: self._visible(scope, css, text))

    @staticmethod
    def _visible(scope, css, text):
        for element in scope.find_elements(By.CSS_SELECTOR, css):
            if element.is_displayed() and (text is None or text in element.text):
                return element
        return None

    def wait_gone(self, css):
        self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, css))

    def text(self, css):
        return self.wait_for(css).text

    def click(self, css, text=None, within=None):
        """Click the first visible match, finding it again if the page re-rendered it meanwhile."""
        scope = within or self.driver

        def clicked(_):
            element = self._visible(scope, css, text)
            if element is not None:
                self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
                element.click()
            return element
        return self.wait(clicked)

    def fill(self, name, value, within=None):
        scope = within or self.driver
        element = self.wait(lambda _: next((e for e in scope.find_elements(By.NAME, name) if e.is_displayed()), None))
        if element.tag_name == "select":
            self.wait(lambda _: any(o.get_attribute("value") == value for o in Select(element).options))
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
        return element

    def field_error(self, name, within=None):
        """The API's message shown next to the field named `name`."""
        scope = within or self.driver
        return self.wait(lambda _: next((e.text for e in scope.find_elements(
            By.CSS_SELECTOR, f'[data-field="{name}"] .field-error') if e.text), None))

    def screenshot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{name}.png")
        self.driver.save_screenshot(path)
        return path

    def downloaded(self, name_part):
        def finished(_):
            names = [n for n in os.listdir(self.download_dir) if name_part in n and not n.endswith(".crdownload")]
            return os.path.join(self.download_dir, names[0]) if names else None
        return self.wait(finished)


def close_chromium(driver, profile):
    try:
        driver.quit()
    except WebDriverException:
        pass
    shutil.rmtree(profile, ignore_errors=True)
