"""Coverage: the Ministry's dashboard figures by region × direction and by ISO week, and their CSV
(the Ministry and admins nationally, MIO/NVS officers for their own region)."""
from werkzeug.wrappers import Response

from common.contracts.coverage import CoverageOut, CoverageQuery, WeeklyOut
from gateway.http import route

CSV_TYPE = "text/csv"


class CoverageRoutes:

    @route("GET", "/api/v1/coverage", summary="Coverage by region × direction against the annual target",
           tag="coverage", query=CoverageQuery, response=CoverageOut)
    def get_coverage(self, request, query):
        return self.coverage.coverage(query)

    @route("GET", "/api/v1/coverage/weekly", summary="Coverage per ISO week, with students placed to date",
           tag="coverage", query=CoverageQuery, response=WeeklyOut)
    def coverage_weekly(self, request, query):
        return self.coverage.weekly(query)

    @route("GET", "/api/v1/coverage.csv", summary="Coverage by region × direction as a CSV download",
           tag="coverage", query=CoverageQuery, produces=CSV_TYPE)
    def coverage_csv(self, request, query):
        document = self.coverage.coverage_csv(query)
        return Response(document["content"].encode("utf-8"), mimetype=CSV_TYPE, headers={
            "Content-Disposition": f'attachment; filename="{document["filename"]}"'})
