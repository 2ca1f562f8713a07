"""`python -m ops.crls refresh` against a local HTTP server standing for NCA RK's CRL points."""
import datetime as dt
import http.server
import os
import threading

import pytest

from ops import crls
from services.registry import eds
from tests.registry import gost_pki

UTC = dt.timezone.utc


class CrlPoints:
    """Serves `self.files` ({path: bytes}) over HTTP on a free local port."""

    def __init__(self):
        self.files = {}
        points = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = points.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def points():
    served = CrlPoints()
    yield served
    served.close()


def crl_of(ca, revoked=(), issued=None):
    issued = issued or dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    return gost_pki.certificate_list(ca, list(revoked), issued, issued + dt.timedelta(days=7), 1).dump()


def test_refresh_downloads_the_named_points_and_the_registry_reads_them(points, tmp_path):
    pki = gost_pki.GostTestPki("CRL POINTS", crl_url=points.url + "/root.crl")  # the issuing CA names its root's
    user, revoked = pki.make_user(), pki.make_user()
    points.files = {"/root.crl": crl_of(pki.root), "/issuing.crl": crl_of(pki.intermediate, [
        revoked.certificate.serial_number])}
    certificates = [pki.root.certificate, pki.intermediate.certificate]
    urls = crls.distribution_points(certificates, [points.url + "/issuing.crl"])
    assert urls == [points.url + "/root.crl", points.url + "/issuing.crl"]
    folder = str(tmp_path / "crl")
    verifiers = eds.load_verifiers()

    assert set(crls.refresh(certificates, urls, folder, verifiers).values()) == {"updated"}
    checker = eds.CrlFileChecker([folder], verifiers)
    now = dt.datetime.now(UTC)
    checker.check(user.certificate, pki.intermediate.certificate, now)
    checker.check(pki.intermediate.certificate, pki.root.certificate, now)
    with pytest.raises(eds.Unauthenticated, match="revoked"):
        checker.check(revoked.certificate, pki.intermediate.certificate, now)
    assert set(crls.refresh(certificates, urls, folder, verifiers).values()) == {"unchanged"}

    # a CRL in the issuing CA's name signed by another key, or a point that is down, is not written
    impostor = gost_pki.GostTestPki("CRL POINTS")
    points.files["/issuing.crl"] = crl_of(impostor.intermediate, issued=now)
    del points.files["/root.crl"]
    outcome = crls.refresh(certificates, urls, folder, verifiers)
    assert outcome[points.url + "/issuing.crl"] == "failed: not signed by a trusted CA"
    assert outcome[points.url + "/root.crl"].startswith("failed: 404")
    with pytest.raises(eds.Unauthenticated, match="revoked"):  # the good copy is still there
        eds.CrlFileChecker([folder], verifiers).check(revoked.certificate, pki.intermediate.certificate, now)


def test_the_command_reads_its_settings_and_fails_when_a_point_fails(points, tmp_path, monkeypatch, capsys):
    pki = gost_pki.GostTestPki("CRL COMMAND")
    points.files = {"/issuing.crl": crl_of(pki.intermediate)}
    folder = tmp_path / "crl"
    monkeypatch.setenv("EDS_TRUST_STORE", pki.trust_store_path)
    monkeypatch.setenv("EDS_CRL_FILE", str(folder))
    monkeypatch.setenv("EDS_TEST_TRUST_STORE", "")
    monkeypatch.setenv("EDS_CRL_URLS", points.url + "/issuing.crl")
    # the trust store holds the root only: the issuing CA's CRL cannot be checked against it
    assert crls.main(["refresh"]) == 1
    with open(pki.trust_store_path, "ab") as f:
        f.write(pki.intermediate.pem)
    assert crls.main(["refresh"]) == 0
    assert "issuing.crl: updated" in capsys.readouterr().out
    assert os.listdir(folder) == ["127.0.0.1_" + points.url.rsplit(":", 1)[1] + "_issuing.crl"]
