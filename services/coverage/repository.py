"""Coverage's write side: gets and adds its read model's rows, one per fact, first arrival wins (the
counting queries are in views.py). Two copies of one fact inserted at once collide on the key: the
second transaction fails, and its event is retried and finds the first."""
from decimal import Decimal

from services.coverage import rules
from services.coverage.models import Fact, Placement, Student


def add_student(session, data, occurred_at):
    if session.get(Student, data["student_id"]) is None:
        session.add(Student(student_id=data["student_id"], region=data["region"], **rules.dated(occurred_at)))


def add_placement(session, data, occurred_at):
    if session.get(Placement, data["placement_id"]) is None:
        session.add(Placement(placement_id=data["placement_id"], student_id=data["student_id"],
                              region=data["region"], direction=data["direction"],
                              voucher_kind=data["voucher_kind"], **rules.dated(occurred_at)))


def fact(session, metric, key, lock=False):
    return session.get(Fact, rules.fact_key(metric, key), with_for_update=lock)


def add_fact(session, metric, key, placement_id, value, occurred_at):
    """A fact seen before is left as it is."""
    if fact(session, metric, key) is None:
        session.add(Fact(key=rules.fact_key(metric, key), metric=metric, placement_id=placement_id,
                         value=Decimal(value), **rules.dated(occurred_at)))
