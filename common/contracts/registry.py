"""Registry's RPC payloads and the events it publishes: people, universities, organisations, sites."""
from marshmallow import fields, validate

from common.contracts.base import Contract, EventType, direction_field, region_field

SOURCE = "registry"


# RPC payloads


class RegionOut(Contract):
    code = fields.String()
    name_en = fields.String()
    name_ru = fields.String()
    kind = fields.String()


class UniversityIn(Contract):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9_-]{2,32}$"))
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    region = region_field(required=True)


class UniversityOut(Contract):
    id = fields.String()
    code = fields.String()
    name = fields.String()
    region = fields.String()


# Events

class UniversityAdded(Contract):
    university_id = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    region = region_field(required=True)


class StudentRegistered(Contract):
    student_id = fields.String(required=True)
    full_name = fields.String(required=True)
    university_id = fields.String(required=True)
    region = region_field(required=True)
    email = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="ru")


class StudentTransferred(Contract):
    student_id = fields.String(required=True)
    from_university_id = fields.String(required=True)
    to_university_id = fields.String(required=True)


class Site(Contract):
    site_id = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String(required=True)
    city = fields.String(required=True)
    region = region_field(required=True)
    directions = fields.List(direction_field(), required=True)
    online = fields.Boolean(required=True)


class OrganisationAccredited(Contract):
    organisation_id = fields.String(required=True)
    name = fields.String(required=True)
    region = region_field(required=True)
    sites = fields.List(fields.Nested(Site), required=True)


class OrganisationRejected(Contract):
    organisation_id = fields.String(required=True)
    region = region_field(required=True)
    reason = fields.String(required=True)


class OrganisationSuspended(Contract):
    organisation_id = fields.String(required=True)
    region = region_field(required=True)
    reason = fields.String(required=True)


class SiteAdded(Site):
    organisation_id = fields.String(required=True)


UNIVERSITY_ADDED = EventType(SOURCE, "university.added", UniversityAdded)
STUDENT_REGISTERED = EventType(SOURCE, "student.registered", StudentRegistered)
STUDENT_TRANSFERRED = EventType(SOURCE, "student.transferred", StudentTransferred)
ORGANISATION_ACCREDITED = EventType(SOURCE, "organisation.accredited", OrganisationAccredited)
ORGANISATION_REJECTED = EventType(SOURCE, "organisation.rejected", OrganisationRejected)
ORGANISATION_SUSPENDED = EventType(SOURCE, "organisation.suspended", OrganisationSuspended)
SITE_ADDED = EventType(SOURCE, "site.added", SiteAdded)
