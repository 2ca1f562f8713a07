"""Coverage's writes (one row per fact, first arrival wins) and its counting queries."""
from decimal import Decimal

from sqlalchemy import distinct, func, select

from services.coverage import rules
from services.coverage.models import Fact, Placement, Student

# Writes: each fact is keyed by its own identity, so a repeated fact changes nothing.


def when(occurred_at):
    day = rules.local_day(occurred_at)
    return {"day": day, "week_start": rules.week_start(day)}


def add_student(session, data, occurred_at):
    if session.get(Student, data["student_id"]) is None:
        session.add(Student(student_id=data["student_id"], region=data["region"], **when(occurred_at)))


def add_placement(session, data, occurred_at):
    if session.get(Placement, data["placement_id"]) is None:
        session.add(Placement(placement_id=data["placement_id"], student_id=data["student_id"],
                              region=data["region"], direction=data["direction"],
                              voucher_kind=data["voucher_kind"], **when(occurred_at)))


def add_fact(session, metric, key, placement_id, value, occurred_at):
    """A fact seen before is left as it is. Two copies of one fact inserted at once collide on the key:
    the second transaction fails, and its event is retried and finds the first."""
    if session.get(Fact, f"{metric}:{key}") is None:
        session.add(new_fact(metric, key, placement_id, value, occurred_at))


def record_hours(session, placement_id, hours, occurred_at):
    """A placement's hours done, from `hours.completed` and `report.submitted` in either order: the
    larger count, dated by the earlier of the two."""
    fact = session.get(Fact, f"{rules.HOURS_DONE}:{placement_id}", with_for_update=True)
    if fact is None:
        session.add(new_fact(rules.HOURS_DONE, placement_id, placement_id, hours, occurred_at))
        return
    fact.value = max(fact.value, hours)
    dated = when(occurred_at)
    if dated["day"] < fact.day:
        fact.day, fact.week_start = dated["day"], dated["week_start"]


def new_fact(metric, key, placement_id, value, occurred_at):
    return Fact(key=f"{metric}:{key}", metric=metric, placement_id=placement_id, value=Decimal(value),
                **when(occurred_at))


# Counting


def within(query, column, year):
    start, end = rules.year_bounds(year)
    return query.where(column.between(start, end))


def filtered(query, region, direction):
    if region is not None:
        query = query.where(Placement.region == region)
    if direction is not None:
        query = query.where(Placement.direction == direction)
    return query


def coverage_counts(session, year, region, direction):
    """What `rules.coverage` needs, counted in the database."""
    registered = within(select(Student.region, func.count()), Student.day, year).group_by(Student.region)
    if region is not None:
        registered = registered.where(Student.region == region)
    placements = filtered(within(select(Placement.region, Placement.direction, func.count(),
                                        func.count(distinct(Placement.student_id))), Placement.day, year),
                          region, direction)
    by_region = placements.with_only_columns(Placement.region, func.count(distinct(Placement.student_id)))
    total = placements.with_only_columns(func.count(distinct(Placement.student_id)))
    facts = filtered(within(select(Placement.region, Placement.direction, Fact.metric, func.count(),
                                   func.sum(Fact.value)).join(Placement, Placement.placement_id == Fact.placement_id),
                            Fact.day, year), region, direction)
    return {
        "registered": dict(session.execute(registered).all()),
        "placed": {(r, d): (n, s) for r, d, n, s in
                   session.execute(placements.group_by(Placement.region, Placement.direction))},
        "placed_by_region": dict(session.execute(by_region.group_by(Placement.region)).all()),
        "placed_total": session.scalar(total),
        "facts": nested(session.execute(facts.group_by(Placement.region, Placement.direction, Fact.metric)),
                        lambda r, d: (r, d)),
    }


def weekly_counts(session, year, region, direction):
    """What `rules.weekly` needs, counted in the database."""
    registered = within(select(Student.week_start, func.count()), Student.day, year).group_by(Student.week_start)
    if region is not None:
        registered = registered.where(Student.region == region)
    placements = filtered(within(select(Placement.week_start, func.count()), Placement.day, year),
                          region, direction).group_by(Placement.week_start)
    first = filtered(within(select(Placement.student_id, func.min(Placement.week_start).label("first_week")),
                            Placement.day, year), region, direction).group_by(Placement.student_id).subquery()
    first_placed = select(first.c.first_week, func.count()).group_by(first.c.first_week)
    facts = filtered(within(select(Fact.week_start, Fact.metric, func.count(), func.sum(Fact.value))
                            .join(Placement, Placement.placement_id == Fact.placement_id), Fact.day, year),
                     region, direction).group_by(Fact.week_start, Fact.metric)
    return {
        "registered": dict(session.execute(registered).all()),
        "placed": dict(session.execute(placements).all()),
        "first_placed": dict(session.execute(first_placed).all()),
        "facts": nested(session.execute(facts), lambda week: week),
    }


def nested(rows, key):
    """Rows of (*group, metric, count, total) as {key(*group): {metric: (count, total)}}."""
    result = {}
    for *group, metric, count, total in rows:
        result.setdefault(key(*group), {})[metric] = (count, total)
    return result
