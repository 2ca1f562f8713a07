"""Coverage: the Ministry's read model of the programme's reach, fed only by events (nameko entrypoints
only). Figures by region × direction and by ISO week, against the annual target, and as CSV or XLSX."""

from common.auth import Caller
from common.clock import utcnow
from common.contracts import credits as credit_events
from common.contracts import payments as payment_events
from common.contracts import placement as placement_events
from common.contracts import registry as registry_events
from common.contracts import timesheet as timesheet_events
from common.contracts.coverage import CoverageFile, CoverageQuery
from common.db import Database
from common.outbox import handles
from common.rpc import rpc
from common.service import HealthMixin
from common.validation import load
from services.coverage import repository, rules, spreadsheet


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
        repository.record_hours(self.db, event.data["placement_id"], event.data["hours"], event.occurred_at)

    @handles(timesheet_events.REPORT_SUBMITTED)
    def on_report_submitted(self, event):
        repository.record_hours(self.db, event.data["placement_id"], event.data["hours"], event.occurred_at)

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
        return self._coverage(*self._scope(query))

    @rpc
    def weekly(self, query):
        return self._weekly(*self._scope(query))

    @rpc
    def coverage_csv(self, query):
        year, region, direction = self._scope(query)
        return CoverageFile().dump({"filename": rules.download_name(year, region, "csv"),
                                    "content": rules.csv_text(self._coverage(year, region, direction))})

    @rpc
    def coverage_xlsx(self, query):
        """The CSV's table and the weekly series as a workbook (its bytes)."""
        year, region, direction = self._scope(query)
        workbook = spreadsheet.workbook_bytes(self._coverage(year, region, direction),
                                              self._weekly(year, region, direction))
        return CoverageFile().dump({"filename": rules.download_name(year, region, "xlsx"), "content": workbook})

    def _coverage(self, year, region, direction):
        return rules.coverage(year, region, direction, repository.coverage_counts(self.db, year, region, direction))

    def _weekly(self, year, region, direction):
        return rules.weekly(year, region, direction, repository.weekly_counts(self.db, year, region, direction))

    def _scope(self, query):
        filters = load(CoverageQuery, query)
        region = rules.readable_region(self.caller(), filters.get("region"))
        return filters.get("year") or rules.this_year(utcnow()), region, filters.get("direction")
