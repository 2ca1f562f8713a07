"""The registry's CPU per EDS sign-in: the verifier alone (parse, Streebog-512, GOST 34.10-2015
signature, chain, CRL, identity), as `registry` runs it for each sign-in or registration.

    python -m bench.eds_signin [--signins 200]

Cases: a person new to this process (their certificate's signature is checked too), a person
signing in again (it is remembered), an ECDSA P-256 and an RSA-2048 person for comparison, and NCA
RK's test individual with NCA's full CRL (195 entries) when ../shared/nca-test is there. Figures are
process CPU time (time.process_time), so another busy process does not inflate them.
"""
import argparse
import datetime as dt
import statistics
import time

from bench.figures import percentile
from services.registry import eds
from tests.registry import gost_pki, nca_pack
from tests.registry.pki import TestPki, sign_nonce

TEXT = "Студенческий ваучер / Студенттік ваучер / Student Voucher\nSign-in\nNonce: bench\nTime: now"
UTC = dt.timezone.utc


def measure(signatures, trust_store, revocation, verifiers, at=None):
    """CPU milliseconds of each verification."""
    spent = []
    for signature in signatures:
        now = at or dt.datetime.now(UTC)
        started = time.process_time()
        eds.verify_signed_text(signature, TEXT, trust_store=trust_store, revocation=revocation,
                               verifiers=verifiers, issued_at=now - dt.timedelta(seconds=30), now=now)
        spent.append((time.process_time() - started) * 1000)
    return spent


def report(name, spent):
    print(f"{name:<44} {statistics.median(spent):7.2f} {percentile(spent, 99):7.2f} {len(spent):6d}")


def own_pki_cases(count):
    gost = gost_pki.GostTestPki("BENCH")
    verifiers = eds.load_verifiers()
    store = eds.TrustStore.from_files([gost.trust_store_path])
    crls = eds.CrlFileChecker([gost.crl_path, gost.delta_path], verifiers)
    people = [gost.make_user() for _ in range(count)]
    measure([sign_nonce(people[0], TEXT)], store, crls, verifiers)  # CA tables and CRLs, once per process
    yield "GOST 2015, a person new to the process", measure([sign_nonce(p, TEXT) for p in people], store, crls,
                                                             verifiers)
    yield "GOST 2015, the same person again", measure([sign_nonce(people[0], TEXT)] * count, store, crls, verifiers)
    for kind in ("ec", "rsa"):
        pki = TestPki("BENCH " + kind.upper(), key_kind=kind)
        store = eds.TrustStore.from_files([pki.trust_store_path])
        crls = eds.CrlFileChecker([pki.crl_path], verifiers)
        people = [pki.make_user(key_kind=kind) for _ in range(min(count, 50))]
        yield f"{kind.upper()} (legacy), a person new to the process", measure(
            [sign_nonce(p, TEXT) for p in people], store, crls, verifiers)


def nca_cases(count):
    if not nca_pack.AVAILABLE:
        return
    verifiers = eds.load_verifiers()
    config = nca_pack.gost_config()
    store = eds.TrustStore.from_files([], config["EDS_TEST_TRUST_STORE"])
    crls = eds.CrlFileChecker(config["EDS_CRL_FILE"], verifiers)
    person = nca_pack.person("individual/valid")
    signatures = [gost_pki.gost_cms(person, TEXT.encode(), signing_time=nca_pack.VALID_AT, ber=True)
                  for _ in range(count)]
    measure(signatures[:1], store, crls, verifiers, at=nca_pack.VALID_AT)
    yield "NCA RK test individual (BER), NCA's full CRL", measure(signatures, store, crls, verifiers,
                                                                  at=nca_pack.VALID_AT)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--signins", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"{'case':<44} {'p50 ms':>7} {'p99 ms':>7} {'count':>6}   (registry CPU per sign-in)")
    for name, spent in [*own_pki_cases(args.signins), *nca_cases(args.signins)]:
        report(name, spent)


if __name__ == "__main__":
    main()
