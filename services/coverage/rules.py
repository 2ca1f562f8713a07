"""Coverage's pure rules: who may read which region, days and ISO weeks, what a repeated or late fact
changes, and the shape of the figures. No database, no clock (the caller passes `now`); a refusal
raises the platform's error (Forbidden)."""
import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

from common import programme
from common.auth import ADMIN, MINISTRY, REGIONAL_OFFICERS
from common.errors import Forbidden

READERS = (MINISTRY, ADMIN, *REGIONAL_OFFICERS)

# The figures kept as facts about a placement (summed per region × direction and per week).
HOURS_DONE = "hours_done"
REPORTS_ACCEPTED = "reports_accepted"
PAID_KZT = "paid_kzt"
CREDITS_RECOUNTED = "credits_recounted"
FACT_METRICS = (HOURS_DONE, REPORTS_ACCEPTED, PAID_KZT, CREDITS_RECOUNTED)
FIGURES = ("students_registered", "students_placed", "placements", *FACT_METRICS)
CENT = Decimal("0.01")


# Who sees what

def readable_region(principal, requested_region):
    """The region the caller may read: any (None = national) for the Ministry and admins, only their
    own for MIO/NVS officers."""
    principal.require(*READERS)
    if principal.has(MINISTRY, ADMIN):
        return requested_region
    if not principal.region:
        raise Forbidden("an officer's token must name their region")
    if requested_region not in (None, principal.region):
        raise Forbidden("officers read their own region's coverage only")
    return principal.region


# Days and weeks

def local_day(moment):
    """The Asia/Almaty day of an instant (naive instants are UTC)."""
    return programme.local_date(moment)


def week_start(day):
    return day - dt.timedelta(days=day.weekday())


def dated(occurred_at):
    """When a fact counts: its Asia/Almaty day and that day's ISO week's Monday."""
    day = local_day(occurred_at)
    return {"day": day, "week_start": week_start(day)}


def iso_week(day):
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def year_bounds(year):
    """The first and last day of programme year `year`: the figures and the target are per programme year."""
    return programme.year_bounds(year)


def this_year(now):
    return programme.programme_year(now)


# Facts: each keyed by its own identity, so a repeated fact changes nothing

def fact_key(metric, key):
    return f"{metric}:{key}"


def hours_done(known, hours, occurred_at):
    """A placement's hours done (`known`: the fact so far, with `value` and `day`), from `hours.completed`
    and `report.submitted` in either order: the larger count, dated by the earlier of the two."""
    when = dated(occurred_at)
    if when["day"] >= known.day:
        when = {"day": known.day, "week_start": known.week_start}
    return {"value": max(known.value, Decimal(hours)), **when}


# Figures

def target_percent(students_placed):
    return (Decimal(students_placed) * 100 / programme.ANNUAL_TARGET_STUDENTS).quantize(CENT, ROUND_HALF_UP)


def empty_figures(with_registered=True):
    figures = {name: 0 for name in FIGURES}
    figures[HOURS_DONE] = Decimal(0)
    if not with_registered:
        figures["students_registered"] = None
    return figures


def add_facts(figures, facts):
    """`facts` ({metric: (count, total)}) into `figures`: reports are counted, the rest summed."""
    for metric, (count, total) in facts.items():
        if metric == REPORTS_ACCEPTED:
            figures[metric] += count
        elif metric == HOURS_DONE:
            figures[metric] += Decimal(total)
        else:
            figures[metric] += int(total)


def coverage(year, region, direction, counts):
    """The coverage document. `counts` holds what the repository counted, per key:
    `registered` {region: n}; `placed` {(region, direction): (placements, students)};
    `placed_by_region` {region: students}; `placed_total` students; `facts` {(region, direction): {metric:
    (count, total)}}. Regions and directions outside the filters are left out; the others are all
    listed, zeros included, so a chart shows every region."""
    regions = [code for code in programme.REGION_CODES if region in (None, code)]
    directions = [code for code in programme.DIRECTION_CODES if direction in (None, code)]
    rows = [region_row(code, directions, direction is None, counts) for code in regions]
    totals = empty_figures(with_registered=direction is None)
    for row in rows:
        for name in FACT_METRICS + ("placements",):
            totals[name] += row[name]
        if direction is None:
            totals["students_registered"] += row["students_registered"]
    totals["students_placed"] = counts["placed_total"]
    return {"year": year, "region": region, "direction": direction,
            "target_students": programme.ANNUAL_TARGET_STUDENTS,
            "target_percent": target_percent(totals["students_placed"]), "totals": totals, "regions": rows}


def region_row(region, directions, with_registered, counts):
    row = {"region": region, "region_name": programme.REGIONS[region]["ru"],
           **empty_figures(with_registered), "directions": []}
    if with_registered:
        row["students_registered"] = counts["registered"].get(region, 0)
    for direction in directions:
        cell = direction_cell(region, direction, counts)
        row["directions"].append(cell)
        for name in FACT_METRICS + ("placements",):
            row[name] += cell[name]
    row["students_placed"] = counts["placed_by_region"].get(region, 0)
    return row


def direction_cell(region, direction, counts):
    placements, students = counts["placed"].get((region, direction), (0, 0))
    cell = {"direction": direction, "direction_name": programme.DIRECTIONS[direction]["ru"],
            **empty_figures(with_registered=False), "placements": placements, "students_placed": students}
    add_facts(cell, counts["facts"].get((region, direction), {}))
    return cell


def weekly(year, region, direction, counts):
    """One row per ISO week that has any figure, in order, with the students placed since the year
    began. `counts`: `registered` {week_start: n}, `placed` {week_start: placements}, `first_placed`
    {week_start: students placed for the first time that year}, `facts` {week_start: {metric: (count,
    total)}}."""
    weeks = sorted(set(counts["registered"]) | set(counts["placed"]) | set(counts["first_placed"])
                   | set(counts["facts"]))
    items, placed_to_date = [], 0
    for start in weeks:
        figures = empty_figures(with_registered=direction is None)
        if direction is None:
            figures["students_registered"] = counts["registered"].get(start, 0)
        figures["placements"] = counts["placed"].get(start, 0)
        figures["students_placed"] = counts["first_placed"].get(start, 0)
        add_facts(figures, counts["facts"].get(start, {}))
        placed_to_date += figures["students_placed"]
        items.append({"week": iso_week(start), "week_start": start, **figures,
                      "students_placed_to_date": placed_to_date,
                      "target_percent_to_date": target_percent(placed_to_date)})
    return {"year": year, "region": region, "direction": direction,
            "target_students": programme.ANNUAL_TARGET_STUDENTS, "items": items}


TABLE_COLUMNS = ("year", "region", "region_name", "direction", "direction_name", *FIGURES)
WEEKLY_COLUMNS = ("week", "week_start", *FIGURES, "students_placed_to_date", "target_percent_to_date")
TOTAL_NAME = "Итого"


def table_rows(document):
    """The coverage document as the download's table, `TABLE_COLUMNS` per row: a row per region (no
    direction) followed by its directions' rows, then the national total."""
    year = document["year"]
    for row in document["regions"]:
        yield table_row({"year": year, **row, "direction": "", "direction_name": ""})
        for cell in row["directions"]:
            yield table_row({"year": year, "region": row["region"], "region_name": row["region_name"], **cell})
    yield table_row({"year": year, "region": "", "region_name": TOTAL_NAME, "direction": "", "direction_name": "",
                     **document["totals"]})


def table_row(values):
    return {column: values[column] for column in TABLE_COLUMNS}


def download_name(year, region, extension):
    return f"coverage-{year}{'-' + region if region else ''}.{extension}"


def csv_text(document):
    """The coverage table as CSV; Excel opens it as UTF-8 thanks to the byte-order mark."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, TABLE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(table_rows(document))
    return out.getvalue()
