"""Demo mode is refused where it must be: a production deployment, a gateway other machines reach
(unless forced), and a registry's production trust store; a registry without the demo CA refuses a
demo signature."""
import datetime as dt

import pytest
from nameko.web.server import WEB_SERVER_CONFIG_KEY

from common.errors import Unauthenticated
from gateway.demo import DemoModeRefused
from gateway.service import GatewayService
from ops.demo import DemoAuthority, bind_refusal
from services.registry import eds
from tests.harness import AUTH_SETTINGS
from tests.registry.pki import session_pki

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return DemoAuthority(str(tmp_path_factory.mktemp("demo")))


@pytest.mark.parametrize("address", ["0.0.0.0:8000", "10.1.2.3:8000", "[::]:8000", "portal.example.kz:8000", ":8000"])
def test_demo_mode_is_refused_on_an_address_other_machines_reach(address):
    assert "demo mode refuses" in bind_refusal(address)
    assert bind_refusal(address, forced=True) is None


@pytest.mark.parametrize("address", ["127.0.0.1:8000", "127.0.0.2:8123", "localhost:8000", "[::1]:8000"])
def test_demo_mode_runs_on_a_loopback_address(address):
    assert bind_refusal(address) is None


def gateway_config(rabbit_config, demo, address, deployment="local"):
    return {**rabbit_config, **AUTH_SETTINGS, "DEPLOYMENT": deployment, WEB_SERVER_CONFIG_KEY: address,
            "DEMO_MODE": "1", "DEMO_FOLDER": demo.folder}


def test_a_gateway_in_demo_mode_does_not_start_on_every_address(container_factory, rabbit_config, demo):
    with pytest.raises(DemoModeRefused, match="DEMO_MODE_FORCE"):
        container_factory(GatewayService, gateway_config(rabbit_config, demo, "0.0.0.0:0")).start()


def test_a_gateway_in_demo_mode_does_not_start_in_production(container_factory, rabbit_config, demo):
    production = {"AMQP_URI": "pyamqp://gateway:" + "p" * 40 + "@localhost:5672/"}  # settings production accepts
    config = {**gateway_config(rabbit_config, demo, "127.0.0.1:0", "production"), **production}
    with pytest.raises(DemoModeRefused, match="never in production"):
        container_factory(GatewayService, config).start()


def test_the_demo_ca_is_refused_among_production_cas(demo):
    with pytest.raises(ValueError, match="EDS_TEST_TRUST_STORE"):
        eds.TrustStore.from_files([demo.pki.trust_store_path])
    assert eds.TrustStore.from_files([], [demo.pki.trust_store_path]).accepts_test_keys


def test_a_registry_without_the_demo_ca_refuses_a_demo_signature(demo):
    text = "Студенческий ваучер: вход, nonce DEMO-0123456789abcdef"
    signature = demo.sign("student", text.encode("utf-8"))
    now = dt.datetime.now(UTC)
    verifiers = eds.load_verifiers()

    def verify(trust_store):
        return eds.verify_signed_text(signature, text, trust_store=trust_store, revocation=eds.NoRevocationCheck(),
                                      verifiers=verifiers, issued_at=now - dt.timedelta(seconds=5), now=now)
    with pytest.raises(Unauthenticated, match="trusted"):
        verify(eds.TrustStore.from_files([session_pki().trust_store_path]))
    identity = verify(eds.TrustStore.from_files([], [demo.pki.trust_store_path]))
    assert (identity.iin, identity.test_ca) == (demo.person("student")["iin"], True)


def test_the_demo_authority_is_kept_and_read_again(demo):
    again = DemoAuthority(demo.folder)
    assert [p["iin"] for p in again.people] == [p["iin"] for p in demo.people]
    assert again.pki.root.certificate.dump() == demo.pki.root.certificate.dump()
    roles = {p["role"] for p in again.people}
    assert roles == {"student", "coordinator", "mio_officer", "nvs_officer", "operator", "registrar", "ministry", "admin"}
