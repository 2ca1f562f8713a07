"""The production layout stays in step with the code: every service, with every setting it reads."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = "docker-compose.yml"
REGIONAL = "docker-compose.region.yml"
SERVICE_SECRETS = {f"{prefix}_{name.upper()}_PASSWORD" if prefix == "RABBITMQ" else f"{name.upper()}_DB_PASSWORD": "s"
                   for prefix in ("RABBITMQ", "DB")
                   for name in ("registry", "placement", "timesheet", "payments", "credits", "notifications",
                                "coverage", "gateway") if prefix == "RABBITMQ" or name != "gateway"}
SECRETS = {"RABBITMQ_PASSWORD": "s", "POSTGRES_PASSWORD": "s", **SERVICE_SECRETS, "BANK_DEBTOR_IBAN": "KZ85125KZT0000000001",
           "BANK_DEBTOR_BIN": "050540004455", "BANK_KNP": "390",
           "BANK_URL": "https://bank.example.kz/api", "AUTH_PUBLIC_KEYS_FILE": "var/auth/public-key.pem",
           "AUTH_SIGNING_KEY_FILE": "var/auth/signing-key.pem", "TLS_CERTIFICATE_FILE": "tls.pem",
           "TLS_KEY_FILE": "tls.key", "REGION": "kz-75", "REGION_PUBLIC_PORT": "8075", "REGION_POSTGRES_PASSWORD": "s",
           "AUTH_REGIONAL_KEYS": "KZ-75=/run/secrets/regional-keys/kz-75.pem", "AUTH_REGIONAL_KEYS_DIR": "regions",
           "REGION_SIGNING_KEY_FILE": "kz-75.pem", "CHECKIN_CODE_KEY": "s",
           "EGOV_MOBILE_ORGANISATION_BIN": "050540004455", "EGOV_MOBILE_BASE_URL": "https://voucher.example.kz"}
SETTING = re.compile(r"\$\{([A-Z][A-Z0-9_]*)[:}]")
DEMO_SETTINGS = {"DEMO_MODE", "DEMO_MODE_FORCE", "DEMO_FOLDER"}  # a local run's (./platform start), never production's


def code_services():
    """{compose service name: its config.yml} for every service in the code, and the gateway."""
    configs = {path.parent.name: path for path in sorted((ROOT / "services").glob("*/config.yml"))}
    return {**configs, "gateway": ROOT / "gateway" / "config.yml"}


def settings_read_by(config_file):
    return set(SETTING.findall(config_file.read_text()))


def compose(name):
    return yaml.safe_load((ROOT / name).read_text())["services"]


def environment_of(service):
    env = service.get("environment") or {}
    return set(env) if isinstance(env, dict) else {item.split("=", 1)[0] for item in env}


def run_compose(name, env):
    return subprocess.run(["docker-compose", "-f", name, "config", "-q"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="docker-compose is not installed (./platform test installs Debian's package)")
def test_compose_files_are_valid():
    env = {key: value for key, value in os.environ.items() if key not in SECRETS}
    for name in (NATIONAL, REGIONAL):
        checked = run_compose(name, {**env, **SECRETS})
        assert checked.returncode == 0, f"{name}: {checked.stderr}"
    # A deployment that forgot a secret, a key or the bank's address is refused, naming it.
    for forgotten in ("AUTH_SIGNING_KEY_FILE", "RABBITMQ_PAYMENTS_PASSWORD", "PAYMENTS_DB_PASSWORD", "BANK_URL",
                      "TLS_KEY_FILE", "CHECKIN_CODE_KEY", "EGOV_MOBILE_ORGANISATION_BIN", "EGOV_MOBILE_BASE_URL"):
        refused = run_compose(NATIONAL, {**{k: v for k, v in SECRETS.items() if k != forgotten}, **env})
        assert refused.returncode != 0 and forgotten in refused.stderr, forgotten
    refused = run_compose(REGIONAL, {**{k: v for k, v in SECRETS.items() if k != "REGION_SIGNING_KEY_FILE"}, **env})
    assert refused.returncode != 0 and "REGION_SIGNING_KEY_FILE" in refused.stderr


def test_every_service_runs_replicated_with_every_setting_its_config_reads():
    national = compose(NATIONAL)
    missing = {}
    for name, config_file in code_services().items():
        assert name in national, f"{name} is not in {NATIONAL}"
        service = national[name]
        assert service["deploy"]["replicas"] >= 1 and service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name
        absent = settings_read_by(config_file) - environment_of(service) - DEMO_SETTINGS
        if absent:
            missing[name] = sorted(absent)
    assert not missing, f"settings read by config.yml but not set in {NATIONAL}: {missing}"

    databases = {name for name in code_services() if name != "gateway"}
    assert set(national["postgres"]["environment"]["POSTGRES_DATABASES"].split()) == databases
    assert {f"{name.upper()}_DATABASE_URL" for name in databases} <= environment_of(national["migrate"])
    assert national["bank-simulator"]["command"] == ["python", "-m", "ops.bank_simulator"]
    # Seeding waits for every consumer (its queues declared), so no seeded event reaches no queue.
    assert "seed" not in " ".join(national["migrate"]["command"])
    assert set(national["seed"]["depends_on"]) == databases
    assert all(need["condition"] == "service_healthy" for need in national["seed"]["depends_on"].values())


def test_production_never_runs_in_demo_mode():
    """No compose file sets a demo setting (the gateway's default is off) or trusts a test CA; their
    gateways listen on every address, where demo mode is refused anyway (tests/ops/test_demo.py)."""
    for name in (NATIONAL, REGIONAL):
        text = (ROOT / name).read_text()
        assert not any(setting in text for setting in DEMO_SETTINGS), name
        for service in compose(name).values():
            environment = service.get("environment") or {}
            if isinstance(environment, dict) and "EDS_TEST_TRUST_STORE" in environment:
                assert environment["EDS_TEST_TRUST_STORE"] == "", name
    assert "DEMO_MODE: ${DEMO_MODE:}" in (ROOT / "gateway" / "config.yml").read_text()


def test_a_regional_stack_runs_the_regional_services_on_its_own_vhost():
    regional = compose(REGIONAL)
    services = code_services()
    regional_services = {"registry", "placement", "timesheet", "gateway"}
    assert regional_services <= set(regional)
    for name in regional_services:
        absent = settings_read_by(services[name]) - environment_of(regional[name]) - DEMO_SETTINGS
        assert not absent, f"{name} in {REGIONAL} lacks {sorted(absent)}"
        assert "/region-${REGION" in regional[name]["environment"]["AMQP_URI"]
    assert not {"payments", "credits", "coverage"} & set(regional), "national services stay national"
    assert regional["bus-setup"]["environment"]["BUS_FORWARD_TO"]


def test_bus_layout_makes_service_queues_quorum_and_forwards_regional_events():
    from ops.bus import definitions, settings
    config = settings({"BUS_VHOST": "region-kz-75", "BUS_FORWARD_TO": "national",
                       "RABBITMQ_USER": "voucher", "RABBITMQ_PASSWORD": "p@ss/word"})
    layout = definitions(config)
    assert {vhost["name"]: vhost["default_queue_type"] for vhost in layout["vhosts"]} == \
        {"region-kz-75": "quorum", "national": "quorum"}
    pattern = re.compile(layout["policies"][0]["pattern"])
    assert pattern.match("rpc-registry") and pattern.match("evt-registry-university.added--credits.on_university_added")
    assert not pattern.match("rpc.reply-gateway-5f3c")  # reply queues auto-delete: they stay classic
    shovels = [parameter["value"] for parameter in layout["parameters"]]
    assert {value["src-exchange"] for value in shovels} == {"registry.events", "placement.events", "timesheet.events"}
    assert all(value["dest-uri"].endswith("/national") and "p%40ss%2Fword" in value["src-uri"] for value in shovels)
    assert definitions(settings({"BUS_VHOST": "national"}))["parameters"] == []
