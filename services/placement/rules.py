"""The programme's placement rules, pure: no database, no bus, no clock (the caller passes `now`).

Each check raises the error the platform answers with: RuleViolation (422) for what the programme
forbids, Conflict (409) for what the current state forbids (a taken place, a booked slot).

Places. A project's places are held by its active placements and by applications offered a place
from the waitlist. An application made while the project has a free place is `applied`; made when it
has none, it is `waitlisted`. When a place frees (a placement withdrawn or cancelled, an offered
application withdrawn, rejected or a no-show) the oldest waitlisted application is `offered` it: the
place is reserved for that student, who books an interview like any applicant; accepting them uses
the reserved place.
"""
from common import programme
from common.contracts.placement import ApplicationStatus, OrganisationStatus, PlacementStatus, ProjectStatus
from common.contracts.registry import EnrolmentStatus
from common.errors import Conflict, RuleViolation


ORGANISATION_ACCREDITED = OrganisationStatus.ACCREDITED
OPEN, PAUSED, CLOSED = ProjectStatus
APPLIED, WAITLISTED, OFFERED, ACCEPTED, REJECTED, NO_SHOW, WITHDRAWN, SUPERSEDED = ApplicationStatus

IN_PROGRESS = (APPLIED, WAITLISTED, OFFERED)  # an application still waiting for its outcome
INTERVIEWABLE = (APPLIED, OFFERED)  # may book an interview and be decided

PLACEMENT_ACTIVE, PLACEMENT_COMPLETED, PLACEMENT_WITHDRAWN, PLACEMENT_CANCELLED = PlacementStatus
# A voucher is held while its placement runs and once it is earned; one that ended early frees it.
HOLDS_VOUCHER = (PLACEMENT_ACTIVE, PLACEMENT_COMPLETED)


def free_places(places, places_held):
    return max(places - places_held, 0)


def check_place_free(places, places_held):
    """A project never gets more placements (and reserved offers) than its places."""
    if places_held >= places:
        raise Conflict("the project has no free place", {"places": [f"all {places} taken"]})


def check_accredited(organisation_status):
    """Projects are published and students placed only at an accredited organisation's sites."""
    if organisation_status != ORGANISATION_ACCREDITED:
        raise RuleViolation("the site's organisation is not accredited",
                            {"site_id": [f"organisation is {organisation_status or 'unknown'}"]})


def check_publishable(organisation_status, site_directions, site_online, direction, online):
    """A project needs an accredited organisation's site that works in its direction (and online, if
    the project is online)."""
    check_accredited(organisation_status)
    if direction not in site_directions:
        raise RuleViolation("the site does not work in this direction",
                            {"direction": ["not one of the site's directions: " + ", ".join(site_directions)]})
    if online and not site_online:
        raise RuleViolation("the site does not offer online work", {"online": ["the site is offline only"]})


def check_project_transition(current, new):
    ProjectStatus.check_transition(current, new, "project")


def held_voucher_kinds(placements, year):
    """The voucher kinds a student holds in programme year `year`: those of their placements that
    start in that year and did not end early."""
    return {p.voucher_kind for p in placements
            if p.status in HOLDS_VOUCHER and programme.programme_year(p.starts_on) == year}


def check_voucher_free(voucher_kind, held_kinds):
    """At most one voucher of each kind per student and programme year (so two a year in all)."""
    if voucher_kind in held_kinds:
        raise RuleViolation(f"the student already holds a {voucher_kind} voucher this programme year; "
                            "one of each kind a year at most", {"voucher_kind": ["already held this year"]})


def check_can_apply(project_status, voucher_kind, held_kinds, has_application_in_progress):
    if project_status != OPEN:
        raise RuleViolation(f"the project is {project_status}, not open for applications")
    check_voucher_free(voucher_kind, held_kinds)
    if has_application_in_progress:
        raise Conflict("the student already has an application in progress for this project")


def check_enrolled(status, reason=None):
    """A student applies once their university's registrar has confirmed their enrolment (registry's
    `student.enrolment_changed`; None: never confirmed). Browsing needs no enrolment."""
    if status != EnrolmentStatus.CONFIRMED:
        why = f"refused: {reason}" if status == EnrolmentStatus.REFUSED and reason else (status or "pending")
        raise RuleViolation("your enrolment is not confirmed by your university's registrar: you may browse "
                            "projects, and apply once it is confirmed", {"enrolment": [why]})


def status_on_applying(free):
    return APPLIED if free > 0 else WAITLISTED


def check_slots_ahead(starts_at_times, now):
    """Interview slots are offered for times to come."""
    if any(starts_at <= now for starts_at in starts_at_times):
        raise RuleViolation("an interview slot is in the past", {"slots": ["every slot must start later than now"]})


def check_bookable(application_status, slot_starts_at, slot_booked, has_interview, now):
    if application_status not in INTERVIEWABLE:
        raise RuleViolation(f"an application that is {application_status} cannot book an interview")
    if slot_starts_at <= now:
        raise RuleViolation("the interview slot is in the past", {"slot_id": ["in the past"]})
    if has_interview:
        raise Conflict("the application has an interview booked already")
    if slot_booked:
        raise Conflict("the interview slot is booked by someone else", {"slot_id": ["already booked"]})


def check_withdrawable(application_status, interview_at, now):
    """A student may withdraw an application in progress until its interview begins."""
    if application_status not in IN_PROGRESS:
        raise RuleViolation(f"an application that is {application_status} cannot be withdrawn")
    if interview_at is not None and interview_at <= now:
        raise RuleViolation("the interview has begun; the outcome is the coordinator's to record")


def check_decidable(application_status, has_interview):
    """An outcome is recorded for an application in progress with a booked interview."""
    if application_status not in INTERVIEWABLE:
        raise RuleViolation(f"an application that is {application_status} cannot be decided")
    if not has_interview:
        raise RuleViolation("the application has no interview booked")


def decided_already(application_status, outcome):
    """The same outcome sent again (a bulk request retried): nothing to do, the application answers as it is."""
    return application_status == outcome


def holds_place(application_status):
    """An application offered a place from the waitlist keeps it reserved until decided or withdrawn."""
    return application_status == OFFERED


def superseded_by_acceptance(accepted_id, voucher_kind, applications):
    """The student's other applications in progress for the same voucher kind: they end when one is
    accepted, so no two stay active for a kind the student now holds."""
    return [a for a in applications
            if a.id != accepted_id and a.voucher_kind == voucher_kind and a.status in IN_PROGRESS]


def completed_status(status):
    """What a placement becomes when its report is accepted: completed if it was running; one that
    ended early stays ended (ends are final)."""
    return PLACEMENT_COMPLETED if status == PLACEMENT_ACTIVE else status


def organisation_fact_is_newer(event_at, event_id, known_at, known_event_id):
    """Registry's organisation events may arrive in any order: a status is taken only from an event
    newer than the one that set the current status (the event id breaks a tie, so every order ends
    alike). A status no event set yet (a site heard of first) gives way to any."""
    return known_at is None or (event_at, event_id) > (known_at, known_event_id or "")


def check_placement_active(status):
    if status != PLACEMENT_ACTIVE:
        raise RuleViolation(f"the placement is {status} already")
