"""Placement's read side: the queries behind its lists and the shapes of its answers, each dumped
through its contract once, here; the gateway passes them on as they are."""
from sqlalchemy import func, select

from common.clock import as_utc, utcnow
from common.contracts import placement as contracts
from common.contracts.base import shared, values_of
from common.db import page
from services.placement import access, rules
from services.placement.models import Application, InterviewSlot, Placement, Project
from services.placement.repository import project_select

PROJECT_SORT_COLUMNS = {
    "starts_on": Project.starts_on,
    "free_places": Project.places - Project.places_held,
    "created_at": Project.created_at,
    "title": Project.title,
}


def dumped(contract, data):
    return shared(contract).dump(data)


def a_page(contract, items, total, query):
    return dumped(contract, {"items": items, "total": total, "limit": query["limit"], "offset": query["offset"]})


# Projects

def project_data(project):
    """`project`: a domain `Project` (or a (row, site, organisation) row)."""
    row, site, organisation = (project.row, project.site, project.organisation) if hasattr(project, "row") \
        else project
    return values_of(contracts.ProjectOut, row, created_at=as_utc(row.created_at),
                     free_places=rules.free_places(row.places, row.places_held), languages=row.languages.split(","),
                     site_name=site.name, organisation_name=organisation.name)


def project(project):
    return dumped(contracts.ProjectOut, project_data(project))


def search_projects(session, principal, query):
    statement = project_select().where(access.projects_condition(principal, listing=True), *project_filters(query))
    rows, total = page(session, statement.order_by(*project_order(query["sort"])), query["limit"], query["offset"],
                       rows=True)
    return a_page(contracts.ProjectPage, [project_data(row) for row in rows], total, query)


def project_filters(query):
    equal = {"region": Project.region, "direction": Project.direction, "voucher_kind": Project.voucher_kind,
             "online": Project.online, "status": Project.status}
    conditions = [column == query[name] for name, column in equal.items() if name in query]
    if "city" in query:
        conditions.append(func.lower(Project.city) == query["city"].lower())
    if "language" in query:
        conditions.append(Project.languages.contains(query["language"]))
    if "starts_from" in query:
        conditions.append(Project.starts_on >= query["starts_from"])
    if "ends_until" in query:
        conditions.append(Project.ends_on <= query["ends_until"])
    if "has_free_places" in query:
        has_free = Project.places_held < Project.places
        conditions.append(has_free if query["has_free_places"] else ~has_free)
    for word in query.get("q", "").casefold().split():
        conditions.append(Project.search_text.contains(word, autoescape=True))
    return conditions


def project_order(sort):
    column = PROJECT_SORT_COLUMNS[sort.lstrip("-")]
    return (column.desc() if sort.startswith("-") else column.asc(), Project.id)


# Interview slots

def slot_data(slot, show_booking):
    return values_of(contracts.SlotOut, slot, starts_at=as_utc(slot.starts_at), booked=slot.application_id is not None,
                     application_id=slot.application_id if show_booking else None)


def slots(rows, show_booking):
    return dumped(contracts.SlotList, {"items": [slot_data(slot, show_booking) for slot in rows]})


def project_slots(session, project_id, show_booking):
    """The coordinator sees every slot and its booking; an applicant the free slots to come."""
    statement = select(InterviewSlot).where(InterviewSlot.project_id == project_id)
    if not show_booking:
        statement = statement.where(InterviewSlot.application_id.is_(None), InterviewSlot.starts_at > utcnow())
    return slots(session.scalars(statement.order_by(InterviewSlot.starts_at, InterviewSlot.id)).all(), show_booking)


# Applications

def application_data(session, application, show_booking=False):
    interview = session.scalar(select(InterviewSlot).where(InterviewSlot.application_id == application.id))
    return values_of(
        contracts.ApplicationOut, application,
        project_title=session.scalar(select(Project.title).where(Project.id == application.project_id)),
        waitlist_position=waitlist_position(session, application),
        interview=slot_data(interview, show_booking) if interview else None,
        placement_id=session.scalar(select(Placement.id).where(Placement.application_id == application.id)),
        created_at=as_utc(application.created_at), updated_at=as_utc(application.updated_at))


def application(session, application, show_booking=False):
    return dumped(contracts.ApplicationOut, application_data(session, application, show_booking))


def waitlist_position(session, application):
    if application.status != rules.WAITLISTED:
        return None
    return 1 + session.scalar(select(func.count()).where(
        Application.project_id == application.project_id, Application.status == rules.WAITLISTED,
        Application.created_at < application.created_at))


def records_page(session, principal, model, query):
    """One page of the applications or placements `principal` may read, oldest first: (items, total)."""
    statement = select(model).where(access.records_condition(principal, model),
                                    *(getattr(model, name) == query[name] for name in ("project_id", "status")
                                      if name in query))
    return page(session, statement.order_by(model.created_at, model.id), query["limit"], query["offset"])


def list_applications(session, principal, query):
    items, total = records_page(session, principal, Application, query)
    show_booking = principal.has(access.COORDINATOR)
    return a_page(contracts.ApplicationPage, [application_data(session, a, show_booking) for a in items], total,
                  query)


# Placements

def placement_data(placement):
    return values_of(contracts.PlacementOut, placement, created_at=as_utc(placement.created_at))


def placement(placement):
    return dumped(contracts.PlacementOut, placement_data(placement))


def list_placements(session, principal, query):
    items, total = records_page(session, principal, Placement, query)
    return a_page(contracts.PlacementPage, [placement_data(p) for p in items], total, query)


def placement_counts(session, region=None):
    """Active placements by region, direction and voucher kind."""
    statement = (select(Placement.region, Placement.direction, Placement.voucher_kind, func.count())
                 .where(Placement.status == rules.PLACEMENT_ACTIVE)
                 .group_by(Placement.region, Placement.direction, Placement.voucher_kind)
                 .order_by(Placement.region, Placement.direction, Placement.voucher_kind))
    if region:
        statement = statement.where(Placement.region == region)
    counts = [{"region": r, "direction": d, "voucher_kind": k, "placements": n}
              for r, d, k, n in session.execute(statement)]
    return dumped(contracts.PlacementCounts, {"items": counts, "total": sum(c["placements"] for c in counts)})
