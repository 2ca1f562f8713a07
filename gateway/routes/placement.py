"""Placement: projects and their search, applications, interviews, placements and their counts.

Placement dumps every answer through its contract itself: these routes pass them on as they come."""
import functools

from common.contracts import placement as contracts
from gateway.http import route as gateway_route
from gateway.http import rows_in_language
from gateway.rpc import BULK_TIMEOUT_SECONDS

TAG = "placement"
route = functools.partial(gateway_route, dumped=True)


class PlacementRoutes:

    # Projects

    @route("POST", "/api/v1/projects", summary="Publish a project at the coordinator's site", tag=TAG,
           body=contracts.ProjectIn, response=contracts.ProjectOut, status=201, errors=(422,))
    def create_project(self, request, body):
        return self.placement.create_project(body)

    @route("GET", "/api/v1/projects", summary="Search projects: filters, words, sort, pages; free places live",
           tag=TAG, query=contracts.ProjectQuery, response=contracts.ProjectPage)
    def search_projects(self, request, query):
        return self.placement.search_projects(query)

    @route("GET", "/api/v1/projects/<project_id>", summary="A project", tag=TAG,
           response=contracts.ProjectOut, errors=(404,))
    def get_project(self, request, project_id):
        return self.placement.get_project(project_id)

    @route("POST", "/api/v1/projects/<project_id>/status", summary="Pause, reopen or close a project",
           tag=TAG, body=contracts.ProjectStatusIn, response=contracts.ProjectOut, errors=(404, 422))
    def set_project_status(self, request, project_id, body):
        return self.placement.set_project_status(project_id, body)

    # Interview slots

    @route("POST", "/api/v1/projects/<project_id>/slots", summary="Offer interview slots for a project",
           tag=TAG, body=contracts.SlotsIn, response=contracts.SlotList, status=201, errors=(404, 422))
    def add_slots(self, request, project_id, body):
        return self.placement.add_slots(project_id, body)

    @route("GET", "/api/v1/projects/<project_id>/slots",
           summary="Interview slots: all for the coordinator, free ones to come for an applicant", tag=TAG,
           response=contracts.SlotList, errors=(404,))
    def list_slots(self, request, project_id):
        return self.placement.list_slots(project_id)

    # Applications

    @route("POST", "/api/v1/projects/<project_id>/applications",
           summary="Apply to a project (waitlisted when it is full)", tag=TAG, body=contracts.ApplicationIn,
           response=contracts.ApplicationOut, status=201, errors=(404, 409, 422))
    def apply(self, request, project_id, body):
        return self.placement.apply(project_id, body)

    @route("GET", "/api/v1/applications", summary="Applications in the caller's scope", tag=TAG,
           query=contracts.ApplicationQuery, response=contracts.ApplicationPage)
    def list_applications(self, request, query):
        return self.placement.list_applications(query)

    @route("GET", "/api/v1/applications/<application_id>", summary="An application", tag=TAG,
           response=contracts.ApplicationOut, errors=(404,))
    def get_application(self, request, application_id):
        return self.placement.get_application(application_id)

    @route("POST", "/api/v1/applications/<application_id>/interview", summary="Book an interview slot",
           tag=TAG, body=contracts.BookingIn, response=contracts.ApplicationOut, errors=(404, 409, 422))
    def book_interview(self, request, application_id, body):
        return self.placement.book_interview(application_id, body)

    @route("POST", "/api/v1/applications/<application_id>/withdraw",
           summary="Withdraw an application before its interview", tag=TAG, response=contracts.ApplicationOut,
           errors=(404, 422))
    def withdraw_application(self, request, application_id):
        return self.placement.withdraw_application(application_id)

    @route("POST", "/api/v1/applications/<application_id>/outcome",
           summary="Record the interview's outcome; acceptance places the student", tag=TAG,
           body=contracts.OutcomeIn, response=contracts.ApplicationOut, errors=(404, 409, 422))
    def decide(self, request, application_id, body):
        return self.placement.decide(application_id, body)

    @route("POST", "/api/v1/applications/outcomes",
           summary="Record many interviews' outcomes at once; each row decided or refused on its own "
                   "(coordinator)", tag=TAG, body=contracts.OutcomesIn, response=contracts.OutcomesOut)
    def decide_many(self, request, body):
        return rows_in_language(self.placement.decide_many.within(BULK_TIMEOUT_SECONDS)(body), request)

    # Placements

    @route("GET", "/api/v1/placements", summary="Placements in the caller's scope", tag=TAG,
           query=contracts.PlacementQuery, response=contracts.PlacementPage)
    def list_placements(self, request, query):
        return self.placement.list_placements(query)

    @route("GET", "/api/v1/placements/counts",
           summary="Active placements by region, direction and voucher kind (Ministry; officers: region)",
           tag=TAG, response=contracts.PlacementCounts)
    def placement_counts(self, request):
        return self.placement.placement_counts()

    @route("GET", "/api/v1/placements/<placement_id>", summary="A placement", tag=TAG,
           response=contracts.PlacementOut, errors=(404,))
    def get_placement(self, request, placement_id):
        return self.placement.get_placement(placement_id)

    @route("POST", "/api/v1/placements/<placement_id>/withdraw", summary="The student leaves a placement",
           tag=TAG, body=contracts.PlacementEndIn, response=contracts.PlacementOut, errors=(404, 422))
    def withdraw_placement(self, request, placement_id, body):
        return self.placement.withdraw_placement(placement_id, body)

    @route("POST", "/api/v1/placements/<placement_id>/cancel", summary="The coordinator ends a placement",
           tag=TAG, body=contracts.PlacementEndIn, response=contracts.PlacementOut, errors=(404, 422))
    def cancel_placement(self, request, placement_id, body):
        return self.placement.cancel_placement(placement_id, body)
