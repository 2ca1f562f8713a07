"""Refresh the registry's CRLs from the distribution points NCA RK names (meant for a timer).

    python -m ops.crls refresh [--into DIR] [--every SECONDS]

Reads the CA certificates of `EDS_TRUST_STORE` and `EDS_TEST_TRUST_STORE`, takes the CRL
distribution points and freshest-CRL (delta) points they name, plus `EDS_CRL_URLS` (the issuing CAs'
own CRLs, which NCA names in the people's certificates; the test pack's is
http://test.pki.gov.kz/crl/nca_gost2022_test.crl),
downloads each, and writes it into the CRL folder (`--into`, else the first folder of `EDS_CRL_FILE`)
only if it is a CRL signed by a trusted CA and no older than the copy there. The registry re-reads a
file when it changes. Exits 1 if any point failed, so the timer's monitoring sees it.
"""
import argparse
import os
import re
import sys
import time

import requests
from asn1crypto import crl, pem

from services.registry import eds
from services.registry.dependencies import config_list


def distribution_points(certificates, extra_urls=()):
    """The HTTP(S) URLs of the full and delta CRLs the CA certificates name, then `extra_urls`."""
    urls = []
    for certificate in certificates:
        for points in (certificate.crl_distribution_points_value, certificate.freshest_crl_value):
            for point in points or []:
                names = point["distribution_point"]
                if names.name != "full_name":
                    continue
                urls += [n.native for n in names.chosen if n.name == "uniform_resource_identifier"]
    urls += list(extra_urls)
    return [url for i, url in enumerate(urls) if url.startswith(("http://", "https://")) and url not in urls[:i]]


def refresh(certificates, urls, folder, verifiers, get=None, timeout=30):
    """Download each URL into `folder`; returns {url: "updated" | "unchanged" | "failed: …"}."""
    get = get or (lambda url: _http_get(url, timeout))
    os.makedirs(folder, exist_ok=True)
    outcome = {}
    for url in urls:
        try:
            outcome[url] = _refresh_one(url, get(url), certificates, folder, verifiers)
        except Exception as exc:  # one point down must not stop the others
            outcome[url] = f"failed: {exc}"
    return outcome


def _refresh_one(url, data, certificates, folder, verifiers):
    downloaded = eds.LoadedCrl(_parse(data))
    issuer = next((c for c in certificates if c.subject == downloaded.issuer
                   and downloaded.signed_by(c, verifiers)), None)
    if issuer is None:
        raise ValueError("not signed by a trusted CA")
    path = os.path.join(folder, _file_name(url))
    if os.path.exists(path):
        present = [eds.LoadedCrl(c) for c in eds._load_crls(path)]
        if present and present[0].this_update >= downloaded.this_update:
            return "unchanged"
    with open(path + ".tmp", "wb") as f:
        f.write(downloaded.certificate_list.dump())
    os.replace(path + ".tmp", path)
    return "updated"


def _parse(data):
    if pem.detect(data):
        data = pem.unarmor(data)[2]
    certificate_list = crl.CertificateList.load(data)
    certificate_list["tbs_cert_list"]["issuer"].native  # parsed lazily: anything else fails here
    return certificate_list


def _file_name(url):
    return re.sub(r"[^A-Za-z0-9._-]", "_", url.split("://", 1)[1])


def _http_get(url, timeout):
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return response.content


def _folder(config_value):
    folders = [p for p in config_list(config_value) if not os.path.splitext(p)[1]]
    if not folders:
        raise SystemExit("no CRL folder: pass --into or set EDS_CRL_FILE to a folder")
    return folders[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["refresh"])
    parser.add_argument("--into", help="the CRL folder (default: the folder in EDS_CRL_FILE)")
    parser.add_argument("--every", type=int, help="refresh again every this many seconds")
    args = parser.parse_args(argv)
    folder = args.into or _folder(os.environ.get("EDS_CRL_FILE"))
    stores = [os.environ.get("EDS_TRUST_STORE"), os.environ.get("EDS_TEST_TRUST_STORE")]
    certificates = [c for store in stores for path in config_list(store) for c in eds.load_certificates(path)]
    urls = distribution_points(certificates, config_list(os.environ.get("EDS_CRL_URLS")))
    verifiers = eds.load_verifiers()
    while True:
        outcome = refresh(certificates, urls, folder, verifiers)
        for url, result in outcome.items():
            print(f"{url}: {result}", flush=True)
        failed = any(result.startswith("failed") for result in outcome.values())
        if not args.every:
            return 1 if failed or not urls else 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
