"""A student's certificate of completed vouchers: its facts, their digest, and the printed PDF."""
import hashlib
import json

from common import programme
from common.contracts.credits import CONFIRMED, CertificateFacts
from common.pdf import Document

VERIFY_PATH = "/api/v1/certificates/"
PAYMENT_LABELS = {"awaiting": "awaiting payout", "sent": "sent to the bank", "paid": "paid",
                  "failed": "payout failed"}


def facts(requests, payment_statuses, university_names):
    """What the certificate states, from the student's requests (oldest first), each placement's
    payment status and the universities' names."""
    vouchers = [{
        "voucher_kind": r.voucher_kind,
        "hours": str(r.hours),
        "organisation_name": r.organisation_name,
        "site_name": r.site_name,
        "direction": r.direction,
        "direction_name": programme.DIRECTIONS[r.direction]["en"],
        "university_name": university_names.get(r.university_id, r.university_id),
        "payment_status": payment_statuses.get(r.placement_id, "awaiting"),
        "credits_status": r.status,
        "credits": r.credits if r.status == CONFIRMED else 0,
    } for r in requests]
    return CertificateFacts().dump({
        "student_name": requests[-1].student_name,
        "total_credits": sum(v["credits"] for v in vouchers),
        "max_credits": programme.MAX_CREDITS,
        "vouchers": vouchers,
    })


def digest(certificate_facts):
    """A stable fingerprint of the facts: the same facts give the same certificate."""
    canonical = json.dumps(certificate_facts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def render(code, issued_at, certificate_facts):
    """The certificate as PDF bytes."""
    document = Document("Certificate of participation in the Student Voucher programme")
    document.paragraph("Справка об участии в программе «Студенческий ваучер»")
    document.key_values([
        ("Student", certificate_facts["student_name"]),
        ("Issued on", issued_at.date().isoformat()),
        ("Credits re-counted", f"{certificate_facts['total_credits']} of {certificate_facts['max_credits']}"),
        ("Verification code", code),
    ])
    document.heading("Completed vouchers")
    document.table(
        ["Voucher", "Hours", "Organisation, site", "Direction", "University", "Payment", "Credits"],
        [voucher_row(v) for v in certificate_facts["vouchers"]],
    )
    document.paragraph(f"Anyone can check this certificate with its code at {VERIFY_PATH}{code}")
    return document.render()


def voucher_row(voucher):
    credits = str(voucher["credits"]) if voucher["credits_status"] == CONFIRMED else voucher["credits_status"]
    return [
        f"{programme.voucher(voucher['voucher_kind']).hours}-hour",
        voucher["hours"],
        f"{voucher['organisation_name']}, {voucher['site_name']}",
        voucher["direction_name"],
        voucher["university_name"],
        PAYMENT_LABELS[voucher["payment_status"]],
        credits,
    ]
