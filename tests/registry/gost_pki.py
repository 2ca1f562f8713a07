"""The GOST 2015 test PKI lives in `ops/gost_pki.py` (demo mode issues from it at run time); the
tests import it from here as before."""
from ops.gost_pki import (DIGEST_ALGORITHM, INDIVIDUAL, INFORMATION_SYSTEM, LEGAL_EMPLOYEE, LEGAL_HEAD,
                          LEGAL_SIGNING_RIGHT, SIGNATURE_ALGORITHM, GostKey, GostTestPki, Issued, _write,
                          certificate_list, gost_cms, indefinite, issue, key_identifier, random_iin,
                          signature_swap_bit, unknown_critical_extension, x509_name)

__all__ = ["DIGEST_ALGORITHM", "INDIVIDUAL", "INFORMATION_SYSTEM", "LEGAL_EMPLOYEE", "LEGAL_HEAD",
           "LEGAL_SIGNING_RIGHT", "SIGNATURE_ALGORITHM", "GostKey", "GostTestPki", "Issued", "_write",
           "certificate_list", "gost_cms", "indefinite", "issue", "key_identifier", "random_iin",
           "signature_swap_bit", "unknown_critical_extension", "x509_name"]
