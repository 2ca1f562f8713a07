"""Coverage's read side: the counting queries behind the Ministry's figures, the figures as
`rules.coverage` and `rules.weekly` shape them, and the answers dumped through their contracts once,
here; the gateway passes them on as they are. The downloads are made from the same documents."""
from sqlalchemy import distinct, func, select

from common.contracts.base import shared
from common.contracts.coverage import CoverageFile, CoverageOut, WeeklyOut
from services.coverage import rules, spreadsheet
from services.coverage.models import Fact, Placement, Student


def coverage(session, year, region, direction):
    return shared(CoverageOut).dump(coverage_document(session, year, region, direction))


def weekly(session, year, region, direction):
    return shared(WeeklyOut).dump(weekly_document(session, year, region, direction))


def coverage_csv(session, year, region, direction):
    return shared(CoverageFile).dump({"filename": rules.download_name(year, region, "csv"),
                                      "content": rules.csv_text(coverage_document(session, year, region, direction))})


def coverage_xlsx(session, year, region, direction):
    """The CSV's table and the weekly series as a workbook (its bytes)."""
    workbook = spreadsheet.workbook_bytes(coverage_document(session, year, region, direction),
                                          weekly_document(session, year, region, direction))
    return shared(CoverageFile).dump({"filename": rules.download_name(year, region, "xlsx"), "content": workbook})


def coverage_document(session, year, region, direction):
    return rules.coverage(year, region, direction, coverage_counts(session, year, region, direction))


def weekly_document(session, year, region, direction):
    return rules.weekly(year, region, direction, weekly_counts(session, year, region, direction))


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
