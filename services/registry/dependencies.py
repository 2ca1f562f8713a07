"""The EDS verifier as a nameko dependency, configured from the registry's config.yml.

| key | meaning |
|---|---|
| `EDS_TRUST_STORE` | PEM/DER files of trusted CA certificates (list, or comma-separated) |
| `EDS_TEST_TRUST_STORE` | test CAs (NCA RK's test pack, a demo CA): trusted, their test IINs/BINs accepted |
| `EDS_REVOCATION` | `crl` (default), `ocsp`, or `none` (a local run only) |
| `EDS_CRL_FILE` | CRL files or folders (PEM or DER, full and delta) for `crl`; re-read when they change |
| `EDS_OCSP_URL` | the OCSP responder for `ocsp`; empty: the one each certificate names |
| `EDS_OCSP_MAX_AGE_SECONDS` | an OCSP answer produced longer before the signature is refused (900) |
| `EDS_EXTRA_VERIFIERS` | "package.module:Class" signature verifiers beyond GOST 2015, RSA and ECDSA |
"""
import datetime as dt

from nameko.extensions import DependencyProvider

from common.clock import utcnow
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
        max_age = dt.timedelta(seconds=int(config.get("EDS_OCSP_MAX_AGE_SECONDS") or 900))
        return eds.OcspChecker(verifiers, url=config.get("EDS_OCSP_URL") or None, max_age=max_age)
    if mode == "none":
        return eds.NoRevocationCheck()
    raise ValueError(f"EDS_REVOCATION must be crl, ocsp or none, not {mode!r}")


class EdsSignIn(DependencyProvider):
    """Gives each worker `self.eds(signature, text, issued_at)`, the SignerIdentity a signature over
    `text` proves, `self.eds.verify_content` the same over bytes, `self.eds.verify_again` for a kept
    signature, and `self.eds.accepts_test_keys`."""

    def setup(self):
        config = self.container.config
        self.verifiers = eds.load_verifiers(config_list(config.get("EDS_EXTRA_VERIFIERS")))
        self.trust_store = eds.TrustStore.from_files(config_list(config.get("EDS_TRUST_STORE")),
                                                     config_list(config.get("EDS_TEST_TRUST_STORE")))
        self.revocation = revocation_checker(config, self.verifiers)

    def get_dependency(self, worker_ctx):
        return self

    @property
    def accepts_test_keys(self):
        return self.trust_store.accepts_test_keys

    def __call__(self, signature, text, issued_at):
        return self.verify_content(signature, text.encode("utf-8"), issued_at)

    def verify_content(self, signature, content, issued_at):
        """The identity a signature over the bytes `content`, made since `issued_at`, proves."""
        return eds.verify_signed_content(signature, content, trust_store=self.trust_store,
                                         revocation=self.revocation, verifiers=self.verifiers,
                                         issued_at=issued_at, now=utcnow())

    def verify_again(self, signature, content, evidence):
        return eds.verify_again(signature, content, evidence, trust_store=self.trust_store, verifiers=self.verifiers)
