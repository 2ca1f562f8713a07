"""The edge and the money: HTTPS only at the edge, the bank's address required, the bank simulator
only in the sandbox and out of the regions' reach, no .env in git or an image."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose(name):
    return yaml.safe_load((ROOT / name).read_text())


def test_the_edge_serves_https_only_with_hsts():
    conf = (ROOT / "ops/docker/nginx.conf").read_text()
    plain, tls = conf.split("server {")[1:]
    assert "listen 8080;" in plain and "return 301 https://$host$request_uri;" in plain
    assert "proxy_pass" not in plain  # nothing is served over plain HTTP
    assert "listen 8443 ssl;" in tls and "ssl_certificate /run/secrets/tls-certificate;" in tls
    assert 'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;' in tls
    for name in ("docker-compose.yml", "docker-compose.region.yml"):
        edge = compose(name)["services"]["edge"]
        assert {port.split(":")[-1] for port in edge["ports"]} == {"8443", "8080"}, name
        assert set(edge["secrets"]) == {"tls-certificate", "tls-key"}, name


def test_the_bank_is_required_and_the_sandbox_is_out_of_production_and_the_regions_reach():
    national = compose("docker-compose.yml")
    payments, sandbox = national["services"]["payments"], national["services"]["bank-simulator"]
    assert payments["environment"]["BANK_URL"].startswith("${BANK_URL:?")
    assert sandbox["profiles"] == ["sandbox"] and sandbox["networks"] == ["bank"]
    assert sandbox["environment"]["BANK_AUTH"] == "${BANK_AUTH:-}"  # its control plane behind basic auth
    assert national["networks"]["bank"] == {"internal": True}
    regional = compose("docker-compose.region.yml")
    assert "bank-simulator" not in regional["services"] and "bank" not in regional["networks"]


def test_env_files_stay_out_of_git_and_images():
    for name in (".gitignore", ".dockerignore"):
        assert ".env" in (ROOT / name).read_text().split(), name
