"""The completion report as a PDF: what the site reported and what the Operator decided."""
from common import programme
from common.pdf import Document
from services.timesheet import rules

STATUS_TEXT = {
    rules.SUBMITTED: "Submitted, awaiting the Operator's review",
    rules.ACCEPTED: "Accepted",
    rules.REJECTED: "Rejected, returned to the site for correction",
}


def report_document(report, placement, entries):
    """PDF bytes of `report` with its confirmed `entries`."""
    voucher = programme.voucher(placement.voucher_kind)
    document = Document("Completion report — Student Voucher")
    document.key_values([
        ("Report", report.id),
        ("Status", STATUS_TEXT[report.status]),
        ("Organisation", placement.organisation_name),
        ("Site", placement.site_name),
        ("Region", programme.REGIONS[placement.region]["en"]),
        ("Student", placement.student_name),
        ("Project", placement.project_title),
        ("Direction", programme.DIRECTIONS[placement.direction]["en"]),
        ("Voucher", f"{voucher.hours} hours, {voucher.reward_kzt:,} KZT, {voucher.credits} credits"),
        ("Placement window", f"{placement.starts_on} to {placement.ends_on}"),
        ("Submitted", f"{report.submitted_at:%Y-%m-%d %H:%M} UTC (submission {report.submissions})"),
    ])
    document.heading("Hours")
    document.table(["Date", "Hours", "Activity", "Correction of"],
                   [[e.work_date, e.hours, e.note, e.corrects_id or ""] for e in entries])
    document.heading("Totals")
    document.key_values([("Confirmed hours", report.hours), ("Hours required", placement.hours_required),
                         ("Entries", len(entries))])
    document.heading("Acceptance")
    document.paragraph(acceptance_text(report))
    return document.render()


def acceptance_text(report):
    reviewer = report.reviewer_name or report.reviewed_by
    if report.status == rules.ACCEPTED:
        return f"Accepted by {reviewer} on {report.reviewed_at:%Y-%m-%d %H:%M} UTC."
    if report.status == rules.REJECTED:
        return f"Rejected by {reviewer}: {report.reason}"
    return "Not reviewed yet."
