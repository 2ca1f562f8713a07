"""A small season through the whole platform, so the benchmark never rots: 80 students from EDS
registration to payout and credits, checked at the end (correctness only, never speed; the fault runs
in tests/reliability take the same driver through hundreds of students)."""
import sys

import pytest

from bench.season.driver import Season
from tests.harness import SIGNING_KEY

STUDENTS = 80


@pytest.fixture
def service_overrides():
    """A busy machine (CI, other suites) must slow the season down, not fail it: the gateway waits
    for the services as long as the driver waits for events."""
    return {"gateway": {"RPC_TIMEOUT_SECONDS": 120}}


def test_a_small_season_pays_and_credits_each_once(platform):
    season = Season(platform.base_url, SIGNING_KEY, students=STUDENTS, clients=8, progress=sys.stderr, seed=9,
                    timeout=300)
    report = season.run()
    print(report.text())
    assert report.ok, report.problems[:10]
    phases = {phase.name: phase for phase in report.phases}
    assert len(phases["EDS registration"].latencies_ms) == 2 * STUDENTS
    assert sum(phase.errors for phase in report.phases) == 0
