from types import SimpleNamespace

import pytest

from common.auth import TokenSigner
from services.registry.dependencies import EdsSignIn
from services.registry.repository import seed_reference_data
from services.registry.service import RegistryService
from tests.harness import SIGNING_KEY
from tests.registry.pki import session_config


def provided(provider, config):
    """A dependency provider set up on `config`, as a container would."""
    provider.container = SimpleNamespace(config=config)
    provider.setup()
    return provider


@pytest.fixture
def service(interface):
    """Registry on its own (`tests/interface.py`): for what needs no other service. EDS sign-in trusts
    the session's test PKIs, tokens are minted with the platform's test key, the reference data is
    seeded; the gateway's sign-in rate limit is the platform's concern (tests/security)."""
    config = {**session_config(), "AUTH_SIGNING_KEY": SIGNING_KEY.private_pem()}
    registry = interface(RegistryService, gateway={"login_rate_limit": lambda request: None}, config=config,
                         eds=provided(EdsSignIn(), config), tokens=provided(TokenSigner(), config).get_dependency(None))
    with registry.read() as session, session.begin():
        seed_reference_data(session)
    return registry
