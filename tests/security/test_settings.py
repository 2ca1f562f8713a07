"""Outside the local run, a process refuses to start on a default or weak secret, without the
registry's keys, or with access tokens longer than the cap."""
import pytest

from common.settings import check_settings, secret_problems
from gateway.service import GatewayService
from services.payments.service import PaymentsService
from services.registry.service import RegistryService
from tests.harness import SIGNING_KEY

STRONG = "s" * 32


def production(**settings):
    return {"DEPLOYMENT": "production", "AUTH_PUBLIC_KEYS": SIGNING_KEY.public_pem(),
            "AMQP_URI": f"pyamqp://payments:{STRONG}@localhost:5672/national", "BANK_URL": "https://bank.example.kz",
            **settings}


def test_weak_or_default_secrets_are_named_and_the_local_run_allows_them():
    assert secret_problems(production(BANK_AUTH=STRONG, SMTP_PASSWORD=""), "payments") == []
    assert secret_problems(production(), "credits") == [
        "the broker user in AMQP_URI is payments, not the credits service's own (ops/bus.py)"]
    assert secret_problems(production(
        BANK_AUTH="sandbox-bank-secret", SMTP_PASSWORD="short",
        AMQP_URI="pyamqp://guest:guest@localhost:5672/",
        DATABASE_URL="postgresql+psycopg2://payments:postgres@db/payments")) == [
        "BANK_AUTH is a documented default", "SMTP_PASSWORD is shorter than 32 bytes",
        "the password in AMQP_URI is a documented default", "the password in DATABASE_URL is a documented default"]
    assert secret_problems(production(BANK_URL="http://sandbox-bank:8040")) == ["BANK_URL must be an https:// address"]
    assert secret_problems({**production(BANK_AUTH="sandbox-bank-secret"), "DEPLOYMENT": "local"}) == []
    assert secret_problems({"BANK_AUTH": "sandbox-bank-secret"}) != []  # production unless told
    with pytest.raises(ValueError, match="AUTH_PUBLIC_KEYS"):
        check_settings({"DEPLOYMENT": "local", "AUTH_PUBLIC_KEYS": ""})


@pytest.mark.parametrize("service, settings, reason", [
    (PaymentsService, {"BANK_AUTH": "sandbox-bank-secret"}, "BANK_AUTH is a documented default"),
    (PaymentsService, {"BANK_AUTH": STRONG, "BANK_URL": "http://127.0.0.1:8040"}, "BANK_URL must be"),
    (PaymentsService, {"BANK_AUTH": STRONG, "AUTH_PUBLIC_KEYS": ""}, "AUTH_PUBLIC_KEYS"),
    (GatewayService, {"AMQP_URI": "pyamqp://gateway:short@localhost:5672/"}, "AMQP_URI is shorter than 32"),
    (GatewayService, {"AMQP_URI": f"pyamqp://payments:{STRONG}@localhost:5672/"}, "not the gateway service's own"),
    (RegistryService, {"AUTH_SIGNING_KEY": "", "AMQP_URI": f"pyamqp://registry:{STRONG}@h/"}, "AUTH_SIGNING_KEY"),
    (RegistryService, {"AUTH_SIGNING_KEY": SIGNING_KEY.private_pem(), "AUTH_TOKEN_TTL_SECONDS": 3600,
                       "AMQP_URI": f"pyamqp://registry:{STRONG}@h/"},
     "AUTH_TOKEN_TTL_SECONDS"),
])
def test_a_service_refuses_to_start(container_factory, tmp_path, service, settings, reason):
    config = production(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite", **settings)
    container = container_factory(service, config)
    with pytest.raises(ValueError, match=reason):
        container.start()
