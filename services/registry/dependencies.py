"""The EDS verifier as a nameko dependency, configured from the registry's config.yml.

| key | meaning |
|---|---|
| `EDS_TRUST_STORE` | PEM/DER files of trusted CA certificates (list, or comma-separated) |
| `EDS_REVOCATION` | `crl` (default), `ocsp`, or `none` (a local run only) |
| `EDS_CRL_FILE` | CRL files (PEM or DER) for `crl`; re-read when they change |
| `EDS_OCSP_URL` | the OCSP responder for `ocsp`; empty: the one each certificate names |
| `EDS_EXTRA_VERIFIERS` | "package.module:Class" signature verifiers, e.g. Kazakh GOST |
"""
from nameko.extensions import DependencyProvider

from common.outbox import utcnow
from services.registry import eds


def config_list(value):
    if not value:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return list(value)


def revocation_checker(config, verifiers):
    mode = config.get("EDS_REVOCATION") or "crl"
    if mode == "crl":
        return eds.CrlFileChecker(config_list(config.get("EDS_CRL_FILE")), verifiers)
    if mode == "ocsp":
        return eds.OcspChecker(verifiers, url=config.get("EDS_OCSP_URL") or None)
    if mode == "none":
        return eds.NoRevocationCheck()
    raise ValueError(f"EDS_REVOCATION must be crl, ocsp or none, not {mode!r}")


class EdsSignIn(DependencyProvider):
    """Gives each worker `self.eds(signature, nonce, issued_at)`: the SignerIdentity it proves."""

    def setup(self):
        config = self.container.config
        self.verifiers = eds.load_verifiers(config_list(config.get("EDS_EXTRA_VERIFIERS")))
        self.trust_store = eds.TrustStore.from_files(config_list(config.get("EDS_TRUST_STORE")))
        self.revocation = revocation_checker(config, self.verifiers)

    def get_dependency(self, worker_ctx):
        def verify(signature, nonce, issued_at):
            return eds.verify_signed_nonce(signature, nonce, trust_store=self.trust_store,
                                           revocation=self.revocation, verifiers=self.verifiers,
                                           issued_at=issued_at, now=utcnow())
        return verify
