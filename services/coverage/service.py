"""Coverage: the Ministry's read model of the programme's reach, fed only by events (nameko entrypoints
only). Figures by region × direction and by ISO week, against the annual target, and as CSV or XLSX.

Coverage keeps facts and counts them: it has no aggregate, no state machine and no outbox. Each
consumer adds its fact in `handles`' own transaction (first arrival wins); each entrypoint authorises
the reader for a region and answers with a view (`views.py`) dumped through its contract once.
"""
from common.auth import Caller
from common.clock import utcnow
from common.contracts import credits as credit_events
from common.contracts import payments as payment_events
from common.contracts import placement as placement_events
from common.contracts import registry as registry_events
from common.contracts import timesheet as timesheet_events
from common.contracts.coverage import CoverageQuery
from common.db import Database
from common.outbox import handles
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.coverage import repository, rules, views


class CoverageService(HealthMixin):
    name = "coverage"

    db = Database()
    caller = Caller()

    # Events

    @handles(registry_events.STUDENT_REGISTERED)
    def on_student_registered(self, event):
        repository.add_student(self.db, event.data, event.occurred_at)

    @handles(placement_events.PLACEMENT_STARTED)
    def on_placement_started(self, event):
        repository.add_placement(self.db, event.data, event.occurred_at)

    @handles(timesheet_events.HOURS_COMPLETED)
    def on_hours_completed(self, event):
        self._hours_done(event)

    @handles(timesheet_events.REPORT_SUBMITTED)
    def on_report_submitted(self, event):
        self._hours_done(event)

    def _hours_done(self, event):
        placement_id, hours = event.data["placement_id"], event.data["hours"]
        known = repository.fact(self.db, rules.HOURS_DONE, placement_id, lock=True)
        if known is None:
            repository.add_fact(self.db, rules.HOURS_DONE, placement_id, placement_id, hours, event.occurred_at)
            return
        for name, value in rules.hours_done(known, hours, event.occurred_at).items():
            setattr(known, name, value)

    @handles(timesheet_events.REPORT_ACCEPTED)
    def on_report_accepted(self, event):
        placement_id = event.data["placement_id"]
        repository.add_fact(self.db, rules.REPORTS_ACCEPTED, placement_id, placement_id, 1, event.occurred_at)

    @handles(payment_events.PAYOUT_PAID)
    def on_payout_paid(self, event):
        data = event.data
        repository.add_fact(self.db, rules.PAID_KZT, data["key"], data["placement_id"], data["amount_kzt"],
                            event.occurred_at)

    @handles(credit_events.CREDITS_RECOUNTED)
    def on_credits_recounted(self, event):
        data = event.data
        repository.add_fact(self.db, rules.CREDITS_RECOUNTED, data["request_id"], data["placement_id"],
                            data["credits"], event.occurred_at)

    # The Ministry, admins, and MIO/NVS officers for their region

    @rpc
    def coverage(self, query):
        return views.coverage(self.db, *self._scope(query))

    @rpc
    def weekly(self, query):
        return views.weekly(self.db, *self._scope(query))

    @rpc
    def coverage_csv(self, query):
        return views.coverage_csv(self.db, *self._scope(query))

    @rpc
    def coverage_xlsx(self, query):
        return views.coverage_xlsx(self.db, *self._scope(query))

    def _scope(self, query):
        """The year, the region the caller may read (or None: national) and the direction asked for."""
        filters = load(CoverageQuery, query)
        region = rules.readable_region(self.caller(), filters.get("region"))
        return filters.get("year") or rules.this_year(utcnow()), region, filters.get("direction")
