"""Start-up checks on a process's settings: outside the local run, no default or weak secret.

`DEPLOYMENT` is `production` unless set to `local` (`./platform start` and the tests set it). In
production a process refuses to start when a secret it holds (the bank's webhook secret, the SMTP
password, the passwords in its broker and database URLs) is a documented default or shorter than
`MIN_SECRET_BYTES` (timesheet's key for check-in codes also when unset), when it connects to the
broker as another user than its own, or when the bank's
address (`BANK_URL`) is not HTTPS. Keys are checked in every deployment: without the registry's public key no
process starts (common.auth).
"""
from urllib.parse import urlsplit

from nameko.extensions import DependencyProvider

from common.auth import verifying_keys
from common.delivery import broker_user, is_identity_of

DEPLOYMENT_SETTING = "DEPLOYMENT"
LOCAL = "local"
MIN_SECRET_BYTES = 32
DOCUMENTED_DEFAULTS = frozenset({"local-development-secret", "sandbox-bank-secret", "guest", "postgres",
                                 "change-me", "secret", "password"})
SECRET_SETTINGS = ("BANK_AUTH", "SMTP_PASSWORD")
# Secrets a service cannot work without: unset is refused as well as weak.
REQUIRED_SECRETS = {"timesheet": ("CHECKIN_CODE_KEY",)}
URL_SETTINGS = ("AMQP_URI", "DATABASE_URL")


def is_local(config):
    return (config.get(DEPLOYMENT_SETTING) or "production") == LOCAL


def weak_secret(value):
    """Why a secret is too weak, or None."""
    if value in DOCUMENTED_DEFAULTS:
        return "is a documented default"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    return None


def secret_problems(config, service=None):
    """What keeps `service`'s settings from running in production: a list of sentences, empty when none."""
    if is_local(config):
        return []
    problems = []
    user = broker_user(str(config.get("AMQP_URI") or ""))
    if service and not is_identity_of(user, service):
        problems.append(f"the broker user in AMQP_URI is {user}, not the {service} service's own (ops/bus.py)")
    for name in SECRET_SETTINGS:
        value = config.get(name)
        if not value:
            continue  # no mail login, or a bank that authenticates otherwise
        if value is not None and weak_secret(str(value)):
            problems.append(f"{name} {weak_secret(str(value))}")
    for name in REQUIRED_SECRETS.get(service, ()):
        value = str(config.get(name) or "")
        if not value:
            problems.append(f"{name} is not set")
        elif weak_secret(value):
            problems.append(f"{name} {weak_secret(value)}")
    bank = config.get("BANK_URL")
    if bank is not None and not str(bank).startswith("https://"):
        problems.append("BANK_URL must be an https:// address")
    for name in URL_SETTINGS:
        password = urlsplit(str(config.get(name) or "")).password
        if password is not None and weak_secret(password):
            problems.append(f"the password in {name} {weak_secret(password)}")
    return problems


def check_settings(config, service=None):
    """Raise ValueError, naming each problem, when these settings must not run."""
    verifying_keys(config)
    problems = secret_problems(config, service)
    if problems:
        raise ValueError("refusing to start outside the local run (DEPLOYMENT=local): " + "; ".join(problems))


class SafeSettings(DependencyProvider):
    """Checks the container's settings when it starts (`check_settings`)."""

    def setup(self):
        check_settings(self.container.config, self.container.service_name)
