"""The student's accession agreement (договор присоединения), versioned, in Russian and Kazakh.

Each version is a folder, `<version>/<language>.txt`, published once and never edited: a changed
agreement is a new version, and `CURRENT` names the one students sign from then on. What each
student signed is kept word for word with their signature, so a new version changes nothing they
signed.
"""
import functools
import os

CURRENT = "2026-1"
LANGUAGES = ("ru", "kk")
FOLDER = os.path.dirname(__file__)


@functools.lru_cache(maxsize=None)
def text(version, language):
    """The agreement's text in `language` at `version`, or None when there is no such version."""
    if language not in LANGUAGES or not version.replace("-", "").isalnum():
        return None
    path = os.path.join(FOLDER, version, f"{language}.txt")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read().strip()
