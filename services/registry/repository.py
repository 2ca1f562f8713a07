"""Registry's queries and writes, so the service stays thin."""
import uuid

from sqlalchemy import select

from common import programme
from common.contracts import registry as events
from common.outbox import record_event
from services.registry.models import OutboxEvent, Region, University


def seed_reference_data(session):
    """Regions and a few universities; safe to run on every start."""
    for code, region in programme.REGIONS.items():
        if session.get(Region, code) is None:
            session.add(Region(code=code, name_en=region["en"], name_ru=region["ru"], kind=region["kind"]))
    session.flush()
    for university in programme.SEED_UNIVERSITIES:
        if find_university_by_code(session, university["code"]) is None:
            add_university(session, university)


def list_regions(session):
    return session.scalars(select(Region).order_by(Region.code)).all()


def find_university_by_code(session, code):
    return session.scalar(select(University).where(University.code == code))


def list_universities(session, region=None):
    query = select(University).order_by(University.name)
    if region:
        query = query.where(University.region == region)
    return session.scalars(query).all()


def add_university(session, data, request_id=None):
    university = University(id=uuid.uuid4().hex, **data)
    session.add(university)
    record_event(session, OutboxEvent, events.UNIVERSITY_ADDED,
                 {"university_id": university.id, **data}, request_id)
    return university
