"""Placement's RPC payloads and the events it publishes: projects, applications, interviews, placements."""
import enum

from marshmallow import ValidationError, fields, validate, validates_schema

from common.contracts.base import (ONE_LINE, Contract, EventType, PageQuery, direction_field, page_of, region_field,
                                   row_results, text_field, voucher_kind_field)
from common.domain import State

SOURCE = "placement"

LANGUAGES = ("kk", "ru")


# States, declared once: the contracts take their values, placement's rules their transitions, its
# tables a CHECK constraint of their values.

class OrganisationStatus(State):
    """Registry's word on an organisation, as its events tell placement."""
    PENDING = "pending"
    ACCREDITED = "accredited"
    SUSPENDED = "suspended"
    REJECTED = "rejected"


class ProjectStatus(State):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"
    TRANSITIONS = enum.nonmember({OPEN: {PAUSED, CLOSED}, PAUSED: {OPEN, CLOSED}, CLOSED: set()})


class ApplicationStatus(State):
    APPLIED = "applied"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"  # a place freed for it from the waitlist is reserved for it
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NO_SHOW = "no_show"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"  # the student was placed with this voucher kind elsewhere
    TRANSITIONS = enum.nonmember({
        APPLIED: {ACCEPTED, REJECTED, NO_SHOW, WITHDRAWN, SUPERSEDED},
        WAITLISTED: {OFFERED, WITHDRAWN, SUPERSEDED},
        OFFERED: {ACCEPTED, REJECTED, NO_SHOW, WITHDRAWN, SUPERSEDED},
    })


class PlacementStatus(State):
    ACTIVE = "active"
    # The report was accepted (timesheet's `report.accepted`): the voucher is earned and the placement over.
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"
    TRANSITIONS = enum.nonmember({ACTIVE: {COMPLETED, WITHDRAWN, CANCELLED}})


PROJECT_STATUSES = tuple(ProjectStatus)
APPLICATION_STATUSES = tuple(ApplicationStatus)
OUTCOMES = (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED, ApplicationStatus.NO_SHOW)
PLACEMENT_STATUSES = tuple(PlacementStatus)
PROJECT_SORTS = ("starts_on", "-starts_on", "free_places", "-free_places", "created_at", "-created_at",
                 "title")


# Projects

class ProjectIn(Contract):
    """A coordinator's new project; its site, organisation and region come from the coordinator's site."""
    title = text_field(3, 200, required=True)
    description = text_field(10, 5000, multiline=True, required=True)
    direction = direction_field(required=True)
    voucher_kind = voucher_kind_field(required=True)
    places = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))  # 3.5 is not 3
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    schedule = text_field(2, 500, required=True)
    online = fields.Boolean(required=True)
    languages = fields.List(fields.String(validate=validate.OneOf(LANGUAGES)), required=True,
                            validate=validate.Length(min=1, max=len(LANGUAGES)))
    city = text_field(2, 100, metadata={"description": "defaults to the site's city"})

    @validates_schema
    def dates_in_order(self, data, **_):
        if "starts_on" in data and "ends_on" in data and data["ends_on"] < data["starts_on"]:
            raise ValidationError("must not be before starts_on", "ends_on")


class ProjectStatusIn(Contract):
    status = fields.String(required=True, validate=validate.OneOf(PROJECT_STATUSES))


class ProjectOut(Contract):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    direction = fields.String()
    voucher_kind = fields.String()
    places = fields.Integer()
    free_places = fields.Integer()
    starts_on = fields.Date()
    ends_on = fields.Date()
    schedule = fields.String()
    online = fields.Boolean()
    languages = fields.List(fields.String())
    region = fields.String()
    city = fields.String()
    site_id = fields.String()
    site_name = fields.String()
    organisation_id = fields.String()
    organisation_name = fields.String()
    status = fields.String()
    created_at = fields.DateTime()


class ProjectQuery(PageQuery):
    q = text_field(1, 200, metadata={"description": "words to find in the title or description"})
    region = region_field()
    city = text_field(1, 100)
    direction = direction_field()
    voucher_kind = voucher_kind_field()
    online = fields.Boolean()
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    starts_from = fields.Date(metadata={"description": "projects starting on or after"})
    ends_until = fields.Date(metadata={"description": "projects ending on or before"})
    has_free_places = fields.Boolean()
    status = fields.String(validate=validate.OneOf(PROJECT_STATUSES),
                           metadata={"description": "coordinators and officers only; students see open"})
    sort = fields.String(load_default="starts_on", validate=validate.OneOf(PROJECT_SORTS))


ProjectPage = page_of(ProjectOut)


# Interview slots

class SlotIn(Contract):
    starts_at = fields.AwareDateTime(required=True)
    online_link = fields.Url(validate=[validate.Length(max=500), ONE_LINE])
    address = text_field(3, 300)

    @validates_schema
    def one_place(self, data, **_):
        if bool(data.get("online_link")) == bool(data.get("address")):
            raise ValidationError("give either an online_link or an address", "_schema")


class SlotsIn(Contract):
    slots = fields.List(fields.Nested(SlotIn), required=True, validate=validate.Length(min=1, max=100))


class SlotOut(Contract):
    id = fields.String()
    project_id = fields.String()
    starts_at = fields.DateTime()
    online_link = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    booked = fields.Boolean()
    application_id = fields.String(allow_none=True,
                                   metadata={"description": "shown to the project's coordinator"})


class SlotList(Contract):
    items = fields.List(fields.Nested(SlotOut), required=True)


# Applications

class ApplicationIn(Contract):
    motivation = text_field(0, 2000, multiline=True)


class BookingIn(Contract):
    slot_id = text_field(1, 64, required=True)


class OutcomeIn(Contract):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = text_field(3, 1000, multiline=True,
                        metadata={"description": "required when the outcome is rejected"})

    @validates_schema
    def rejection_has_reason(self, data, **_):
        if data.get("outcome") == "rejected" and not data.get("reason"):
            raise ValidationError("a rejection needs a reason", "reason")


class ApplicationOut(Contract):
    id = fields.String()
    project_id = fields.String()
    project_title = fields.String()
    student_id = fields.String()
    student_name = fields.String()
    voucher_kind = fields.String()
    motivation = fields.String(allow_none=True)
    status = fields.String()
    waitlist_position = fields.Integer(allow_none=True)
    interview = fields.Nested(SlotOut, allow_none=True)
    reason = fields.String(allow_none=True)
    placement_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class OutcomeRowIn(OutcomeIn):
    application_id = text_field(1, 64, required=True)


MAX_OUTCOMES = 200


class OutcomesIn(Contract):
    """A coordinator's outcomes of many interviews at once; each row decided or refused on its own."""
    decisions = fields.List(fields.Nested(OutcomeRowIn), required=True,
                            validate=validate.Length(min=1, max=MAX_OUTCOMES))

    @validates_schema
    def each_application_once(self, data, **_):
        ids = [row["application_id"] for row in data.get("decisions", ())]
        if len(set(ids)) != len(ids):
            raise ValidationError("each application at most once in a request", "decisions")


OutcomesOut = row_results("OutcomesOut", "application_id", "application", ApplicationOut, "decided")


class ApplicationQuery(PageQuery):
    project_id = text_field(1, 64)
    status = fields.String(validate=validate.OneOf(APPLICATION_STATUSES))


ApplicationPage = page_of(ApplicationOut)


# Placements

class PlacementEndIn(Contract):
    reason = text_field(3, 1000, multiline=True, required=True)


class PlacementFacts(Contract):
    """What a placement is, declared once: its API answer and its `placement.started` event both carry these."""
    student_id = fields.String(required=True)
    student_name = fields.String(required=True)
    university_id = fields.String(required=True)
    project_id = fields.String(required=True)
    project_title = fields.String(required=True)
    direction = direction_field(required=True)
    site_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    region = region_field(required=True)
    voucher_kind = voucher_kind_field(required=True)
    hours_required = fields.Integer(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class PlacementOut(PlacementFacts):
    id = fields.String()
    application_id = fields.String()
    status = fields.String()
    end_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class PlacementQuery(PageQuery):
    project_id = text_field(1, 64)
    status = fields.String(validate=validate.OneOf(PLACEMENT_STATUSES))


PlacementPage = page_of(PlacementOut)


class PlacementCount(Contract):
    region = fields.String()
    direction = fields.String()
    voucher_kind = fields.String()
    placements = fields.Integer()


class PlacementCounts(Contract):
    items = fields.List(fields.Nested(PlacementCount), required=True)
    total = fields.Integer(required=True)


# Events

class PlacementStarted(PlacementFacts):
    placement_id = fields.String(required=True)
    site_name = fields.String(required=True)
    organisation_name = fields.String(required=True)


class PlacementEnded(Contract):
    placement_id = fields.String(required=True)
    student_id = fields.String(required=True)
    reason = fields.String(required=True)


class ApplicationEvent(Contract):
    """What a student and the project's site need to hear about one application."""
    application_id = fields.String(required=True)
    student_id = fields.String(required=True)
    student_name = fields.String(required=True)
    project_id = fields.String(required=True)
    project_title = fields.String(required=True)
    site_id = fields.String(required=True)
    region = region_field(required=True)


class InterviewOffered(ApplicationEvent):
    """Interview slots the student can book now: a new application, slots added, or a waitlisted
    application offered a place."""
    first_slot_at = fields.AwareDateTime(load_default=None, allow_none=True,
                                         metadata={"description": "the earliest free slot, if any yet"})


class InterviewBooked(ApplicationEvent):
    slot_id = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    online_link = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True)


class ApplicationDecided(ApplicationEvent):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    reason = fields.String(load_default=None, allow_none=True)
    placement_id = fields.String(load_default=None, allow_none=True,
                                 metadata={"description": "the placement an acceptance started"})


PLACEMENT_STARTED = EventType(SOURCE, "placement.started", PlacementStarted)
PLACEMENT_WITHDRAWN = EventType(SOURCE, "placement.withdrawn", PlacementEnded)
INTERVIEW_OFFERED = EventType(SOURCE, "interview.offered", InterviewOffered)
INTERVIEW_BOOKED = EventType(SOURCE, "interview.booked", InterviewBooked)
APPLICATION_DECIDED = EventType(SOURCE, "application.decided", ApplicationDecided)
