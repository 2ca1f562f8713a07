"""The GOST 2015 test PKI lives in `ops/gost_pki.py` (demo mode issues from it at run time); the
tests import it from here as before."""
from ops.gost_pki import *  # noqa: F401,F403
from ops.gost_pki import _write  # noqa: F401
