"""Every service's config.yml loads as `nameko run` loads it, with each setting resolved."""
import glob
import os

import pytest
import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "services", "*", "config.yml"))) + [
    os.path.join(ROOT, "gateway", "config.yml")]


def unresolved(value):
    if isinstance(value, dict):
        return [item for v in value.values() for item in unresolved(v)]
    if isinstance(value, list):
        return [item for v in value for item in unresolved(v)]
    return [value] if isinstance(value, str) and "${" in value else []


@pytest.fixture
def nameko_yaml():
    """yaml's SafeLoader as `nameko run` sets it up (${VAR:default} resolved), for this test only:
    the set-up is global, and other tests read compose files whose ${…} must stay as written."""
    resolvers = {key: list(value) for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    constructors = dict(yaml.SafeLoader.yaml_constructors)
    setup_yaml_parser()
    yield
    yaml.SafeLoader.yaml_implicit_resolvers = resolvers
    yaml.SafeLoader.yaml_constructors = constructors


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: os.path.relpath(path, ROOT))
def test_config_resolves_every_setting_from_defaults(path, nameko_yaml):
    with open(path) as config_file:
        config = yaml.safe_load(config_file)
    assert unresolved(config) == []
    assert config["AMQP_URI"].startswith("pyamqp://")
    if "services" in path:
        assert config["DATABASE_URL"].startswith("sqlite:///var/")
