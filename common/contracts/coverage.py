"""Coverage's RPC payloads: the Ministry's figures by region × direction and by ISO week, and their
downloads (CSV, XLSX).

Coverage publishes no events; its read model is fed by the other services' events only.
"""
from marshmallow import fields, validate

from common.contracts.base import Contract, direction_field, region_field

SOURCE = "coverage"

FIRST_YEAR = 2019  # the programme's first year


def decimal_text(description):
    """A decimal sent as text ("21.50"), documented as such so clients do not expect a JSON number."""
    return fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal",
                                                    "description": description})


class CoverageQuery(Contract):
    year = fields.Integer(validate=validate.Range(min=FIRST_YEAR, max=2100),
                          metadata={"description": "calendar year in Asia/Almaty; default: this year"})
    region = region_field(metadata={"description": "MIO/NVS officers: their own region only"})
    direction = direction_field()


class Figures(Contract):
    students_registered = fields.Integer(allow_none=True, metadata={
        "description": "students registered (a student has a region, not a direction: null per direction)"})
    students_placed = fields.Integer(metadata={"description": "students with at least one placement started"})
    placements = fields.Integer(metadata={"description": "placements started (a student may hold two vouchers)"})
    hours_done = decimal_text("hours of completed vouchers")
    reports_accepted = fields.Integer()
    paid_kzt = fields.Integer(metadata={"description": "rewards paid, in tenge"})
    credits_recounted = fields.Integer()


class DirectionFigures(Figures):
    direction = fields.String()
    direction_name = fields.String()


class RegionFigures(Figures):
    region = fields.String()
    region_name = fields.String()
    directions = fields.List(fields.Nested(DirectionFigures))


class CoverageOut(Contract):
    year = fields.Integer()
    region = fields.String(allow_none=True, metadata={"description": "the region filter, if any"})
    direction = fields.String(allow_none=True, metadata={"description": "the direction filter, if any"})
    target_students = fields.Integer(metadata={"description": "the programme's annual target"})
    target_percent = decimal_text("students placed as a percentage of the annual target")
    totals = fields.Nested(Figures)
    regions = fields.List(fields.Nested(RegionFigures))


class WeekFigures(Figures):
    week = fields.String(metadata={"description": "ISO week, e.g. 2026-W37"})
    week_start = fields.Date(metadata={"description": "its Monday"})
    students_placed_to_date = fields.Integer(metadata={"description": "since the year began"})
    target_percent_to_date = decimal_text("students placed to date as a percentage of the annual target")


class WeeklyOut(Contract):
    year = fields.Integer()
    region = fields.String(allow_none=True)
    direction = fields.String(allow_none=True)
    target_students = fields.Integer()
    items = fields.List(fields.Nested(WeekFigures))


class CoverageFile(Contract):
    """A download of the figures: the CSV's text or the XLSX workbook's bytes, and its file name."""
    filename = fields.String()
    content = fields.Raw(metadata={"description": "the CSV's text or the workbook's bytes"})
