"""The same path with event delivery shuffled: consumers of one service paused while the others run.

Students go through the whole path (bench/season's driver, over HTTP) against two copies of each
service as OS processes, on a RabbitMQ of the test's own. While placements are accepted, timesheet is
paused (SIGSTOP) and every tenth student withdraws at once, so timesheet later finds each of those
placements' `placement.started` and `placement.withdrawn` waiting on two queues and takes them in any
order. While the Operator accepts the reports, placement and credits are paused, so payments pays
while they have not heard of the acceptances yet. Each pause ends (SIGCONT) with its phase. At the end the counts are those of an undisturbed run: one payout (paid) and one credit
request per accepted report, every accepted placement `completed`, and nothing at all for a
withdrawn placement, which timesheet holds as withdrawn.
"""
import os
import re
import signal
import sys

from sqlalchemy import func, select

from bench.season.driver import Season
from services.credits.models import RecountRequest
from services.payments.models import Payout
from services.placement.models import Placement
from services.timesheet.models import Placement as TimesheetPlacement
from services.timesheet.models import Report
from tests.harness import SIGNING_KEY, eventually
from tests.processes import BrokerNode
from tests.reliability.test_faults import (COPIES, assert_nothing_lost_or_doubled,  # noqa: F401
                                           fault_databases, run_platform)

STUDENTS = int(os.environ.get("FAULT_SHUFFLE_STUDENTS", 80))
# Fewer clients than the fault run: the point is the order of events, not load (on two shared cores,
# 24 clients made EDS registrations wait past the gateway's deadline).
CLIENTS = 8
WITHDRAW_EVERY = 10
WITHDRAWN = "withdrew on purpose"


class ShuffledSeason(Season):
    """The season's driver, pausing a service's processes for the length of a phase."""

    # No step of these phases calls the paused services: they only miss events meanwhile.
    # The driver's phase names: a name that no longer matches fails the pause count below.
    PAUSED_DURING = {"acceptance (bulk/site)": ("timesheet",), "review: unflagged bulk": ("placement", "credits"),
                     "review: one by one": ("placement", "credits")}

    def __init__(self, *args, processes, **kwargs):
        super().__init__(*args, **kwargs)
        self.processes = processes
        self.pause_log = []

    def signal_all(self, services, sig):
        for service in services:
            for copy in range(COPIES):
                for pid in self.processes.service_pids(service, copy):
                    os.kill(pid, sig)

    def run_phase(self, name, tasks, work):
        paused = self.PAUSED_DURING.get(name, ())
        self.signal_all(paused, signal.SIGSTOP)
        if paused:
            self.pause_log.append(f"{'+'.join(paused)} paused during {name}")
        try:
            super().run_phase(name, tasks, work)
        finally:
            self.signal_all(paused, signal.SIGCONT)

    def accept(self, site):
        """The site accepts its students; then every tenth student withdraws."""
        super().accept(site)
        for student in site.students:
            if student.index % WITHDRAW_EVERY == 0 and student.placement_id and not student.failed:
                self.call("POST", f"/api/v1/placements/{student.placement_id}/withdraw", headers=student.headers,
                          json={"reason": "moving to another city"})
                student.failed = WITHDRAWN


def test_shuffled_delivery_ends_with_the_same_counts(tmp_path, fault_databases, bank):
    bank.reset()
    node = BrokerNode("shuffle")
    processes = None
    try:
        node.start()
        processes, base_url = run_platform(node.amqp_uri, fault_databases, bank, str(tmp_path))
        season = ShuffledSeason(base_url, SIGNING_KEY, students=STUDENTS, clients=CLIENTS, progress=sys.stderr,
                                seed=13, timeout=90, processes=processes)
        report = season.run()
        print(report.text())
        print("pauses:", "; ".join(season.pause_log))
        withdrawn = {s.index: s.placement_id for s in season.students if s.failed == WITHDRAWN}
        # The driver expects every student paid and credited: only the withdrawn ones may fall short.
        others = [problem for problem in report.problems
                  if not (re.match(r"student (\d+)\b", problem) and
                          int(re.match(r"student (\d+)\b", problem).group(1)) in withdrawn)]
        assert len(season.pause_log) == len(ShuffledSeason.PAUSED_DURING) and withdrawn
        assert others == [], others[:10]
        session = fault_databases[1]
        assert_nothing_lost_or_doubled(session, node.amqp_uri, STUDENTS - len(withdrawn))
        ended = set(withdrawn.values())
        with session("payments") as payments:
            assert payments.scalar(select(func.count()).select_from(Payout).where(Payout.placement_id.in_(ended))) == 0
        with session("credits") as credits:
            assert credits.scalar(select(func.count()).select_from(RecountRequest)
                                  .where(RecountRequest.placement_id.in_(ended))) == 0

        def timesheet_ended_them():  # timesheet, paused longest, may still be reading its backlog
            with session("timesheet") as timesheet:
                statuses = dict(timesheet.execute(select(TimesheetPlacement.id, TimesheetPlacement.status)).all())
            return {statuses.get(placement_id) for placement_id in ended} == {"withdrawn"}
        eventually(timesheet_ended_them, timeout=30, interval=1)
        with session("timesheet") as timesheet:
            accepted = set(timesheet.scalars(select(Report.placement_id).where(Report.status == "accepted")))
        with session("placement") as placement:
            completed = set(placement.scalars(select(Placement.id).where(Placement.status == "completed")))
        assert completed == accepted and not completed & ended
        print(f"withdrawn placements {len(ended)}: no payout, no credit request, withdrawn in timesheet; "
              f"completed placements {len(completed)} = accepted reports")
    finally:
        if processes is not None:
            processes.stop_all()
        node.shutdown()
