"""The completion report as PDF: the document the site signs by EDS, and the report with what the
Operator decided."""
import collections
import hashlib

from common import programme
from common.pdf import Document
from services.timesheet import rules

STATUS_TEXT = {
    rules.SUBMITTED: "Submitted, awaiting the Operator's review",
    rules.ACCEPTED: "Accepted",
    rules.REJECTED: "Rejected, returned to the site for correction",
}
ROLE_TEXT = {
    "legal_head": "the organisation's head", "legal_signing_right": "an employee with signing right",
    "legal_employee": "an employee of the organisation", "individual": "personal EDS",
}
SIGNED_TITLE = "Completion report — Student Voucher (for signature)"


def content_key(placement, entries, hours, submission, settled_at):
    """A digest of everything `signed_document` prints: equal keys render to equal bytes, so a
    rendering can be recognised (and reused) without rendering again."""
    facts = ([getattr(placement, name) for name in PLACEMENT_FACTS],
             [(e.work_date, e.hours, e.note, e.corrects_id) for e in entries], hours, submission, settled_at)
    return hashlib.sha256(repr(facts).encode("utf-8")).hexdigest()


PLACEMENT_FACTS = ("id", "organisation_name", "site_name", "region", "student_name", "project_title", "direction",
                   "voucher_kind", "starts_on", "ends_on", "hours_required")
_RENDERED = collections.OrderedDict()  # content key -> PDF: a render costs ~0.3 s of CPU (font subsetting)


def signed_document_once(placement, entries, hours, submission, settled_at, remembered=64):
    """`signed_document`, reusing this process's rendering of the same content (the coordinator
    fetches the PDF, then submits it); returns (content key, PDF bytes)."""
    key = content_key(placement, entries, hours, submission, settled_at)
    if key not in _RENDERED:
        _RENDERED[key] = signed_document(placement, entries, hours, submission, settled_at)
        while len(_RENDERED) > remembered:
            _RENDERED.popitem(last=False)
    return key, _RENDERED[key]


def signed_document(placement, entries, hours, submission, settled_at):
    """The bytes the coordinator signs (detached CMS) and the Operator receives: the placement, its
    confirmed `entries` and `hours` for `submission`, dated `settled_at` (when its content was
    settled). Nothing in it changes later, so rendering it again gives the same bytes."""
    document = Document(SIGNED_TITLE, created_at=settled_at)
    _facts(document, placement)
    document.key_values([("Submission", submission), ("Content as of", f"{settled_at:%Y-%m-%d %H:%M:%S} UTC")])
    _hours(document, placement, entries, hours)
    document.heading("Confirmation")
    document.paragraph(f"The site confirms that {placement.student_name} worked the hours above at "
                       f"{placement.site_name} of {placement.organisation_name}, and asks the Operator to "
                       "pay the voucher. Signed with EDS by the organisation.")
    return document.render()


def report_document(report, placement, entries):
    """PDF bytes of `report` with its confirmed `entries`, its verified signature and the review."""
    document = Document("Completion report — Student Voucher")
    document.key_values([("Report", report.id), ("Status", STATUS_TEXT[report.status])])
    _facts(document, placement)
    document.key_values([
        ("Submitted", f"{report.submitted_at:%Y-%m-%d %H:%M} UTC (submission {report.submissions})")])
    _hours(document, placement, entries, report.hours)
    document.heading("Signature")
    document.paragraph(signature_text(report))
    document.heading("Acceptance")
    document.paragraph(acceptance_text(report))
    return document.render()


def _facts(document, placement):
    voucher = programme.voucher(placement.voucher_kind)
    document.key_values([
        ("Placement", placement.id),
        ("Organisation", placement.organisation_name),
        ("Site", placement.site_name),
        ("Region", programme.REGIONS[placement.region]["en"]),
        ("Student", placement.student_name),
        ("Project", placement.project_title),
        ("Direction", programme.DIRECTIONS[placement.direction]["en"]),
        ("Voucher", f"{voucher.hours} hours, {voucher.reward_kzt:,} KZT, {voucher.credits} credits"),
        ("Placement window", f"{placement.starts_on} to {placement.ends_on}"),
    ])


def _hours(document, placement, entries, hours):
    document.heading("Hours")
    document.table(["Date", "Hours", "Activity", "Correction of"],
                   [[e.work_date, e.hours, e.note, e.corrects_id or ""] for e in entries])
    document.heading("Totals")
    document.key_values([("Confirmed hours", hours),
                         ("Hours required", placement.hours_required), ("Entries", len(entries))])


def signature_text(report):
    if report.signed_at is None:
        return "Not signed."
    bin_text = f", BIN {report.signer_bin}" if report.signer_bin else ""
    return (f"Signed with EDS by {report.signer_name} (IIN {report.signer_iin}, "
            f"{ROLE_TEXT.get(report.signer_role, report.signer_role)}{bin_text}) on "
            f"{report.signed_at:%Y-%m-%d %H:%M:%S} UTC; the signature was verified when submitted.")


def acceptance_text(report):
    reviewer = report.reviewer_name or report.reviewed_by
    if report.status == rules.ACCEPTED:
        return f"Accepted by {reviewer} on {report.reviewed_at:%Y-%m-%d %H:%M} UTC."
    if report.status == rules.REJECTED:
        return f"Rejected by {reviewer}: {report.reason}"
    return "Not reviewed yet."
