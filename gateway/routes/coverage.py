"""Coverage: the Ministry's dashboard figures by region × direction and by ISO week, and their CSV and
XLSX downloads (the Ministry and admins nationally, MIO/NVS officers for their own region)."""
from werkzeug.wrappers import Response

from common.contracts.coverage import CoverageOut, CoverageQuery, WeeklyOut
from gateway.http import route

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(document, media_type):
    """A coverage download (`CoverageFile`) as the file the browser saves."""
    content = document["content"]
    return Response(content.encode("utf-8") if isinstance(content, str) else content, mimetype=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{document["filename"]}"'})


class CoverageRoutes:

    @route("GET", "/api/v1/coverage", summary="Coverage by region × direction against the annual target",
           tag="coverage", query=CoverageQuery, response=CoverageOut, dumped=True)
    def get_coverage(self, request, query):
        return self.coverage.coverage(query)

    @route("GET", "/api/v1/coverage/weekly", summary="Coverage per ISO week, with students placed to date",
           tag="coverage", query=CoverageQuery, response=WeeklyOut, dumped=True)
    def coverage_weekly(self, request, query):
        return self.coverage.weekly(query)

    @route("GET", "/api/v1/coverage.csv", summary="Coverage by region × direction as a CSV download",
           tag="coverage", query=CoverageQuery, produces=CSV_TYPE)
    def coverage_csv(self, request, query):
        return attachment(self.coverage.coverage_csv(query), CSV_TYPE)

    @route("GET", "/api/v1/coverage.xlsx",
           summary="Coverage as an Excel workbook: the CSV's table and the weekly series, figures as numbers",
           tag="coverage", query=CoverageQuery, produces=XLSX_TYPE)
    def coverage_xlsx(self, request, query):
        return attachment(self.coverage.coverage_xlsx(query), XLSX_TYPE)
