"""Report pages: each parses the filter, asks ``queries`` (or ``participation``) for its
figures and renders them; ``?format=csv&table=<name>`` returns one of the page's tables."""

import csv
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from comptoir.accounts.permissions import Perm, has_perm, requires
from comptoir.surveys import queries as csat_queries

from . import participation as participation_report
from . import queries
from .filters import PRESETS, ReportFilter
from .shapes import Table

PAGES = (
    ("reports", _("Overview")),
    ("reports_response", _("Response times")),
    ("reports_resolution", _("Resolution")),
    ("reports_volume", _("Volume")),
    ("reports_participation", _("Participation")),
    ("reports_csat", _("Satisfaction")),
)


def _page(request: HttpRequest, name: str, template: str,
          build: Callable[[ReportFilter], dict[str, Any]]) -> HttpResponse:
    f = ReportFilter.from_query(request.GET)
    report = build(f)
    tables: list[Table] = report.get("tables", [])
    if request.GET.get("format") == "csv":
        return _csv(name, f, tables, request.GET.get("table", ""))
    return render(request, template, {
        "page": name, "pages": PAGES, "f": f, "report": report, "tables": tables,
        "charts": {chart.name: chart.as_json() for chart in report.get("charts", [])},
        "choices": queries.dimension_choices(), "presets": PRESETS,
        "freshness": queries.freshness(),
    })


def _csv(page: str, f: ReportFilter, tables: list[Table], name: str) -> HttpResponse:
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        raise Http404("no such table")
    filename = f"comptoir-{page.removeprefix('reports_') or 'overview'}-{table.name}-" \
               f"{f.start.isoformat()}-{f.end.isoformat()}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # spreadsheet programs then read UTF-8 (Japanese, accents)
    writer = csv.writer(response)
    writer.writerow([_csv_header(c.label, c.kind) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(value, column.kind)
                         for value, column in zip(row, table.columns, strict=True)])
    return response


def _csv_header(label: str, kind: str) -> str:
    return {"minutes": f"{label} (min)", "percent": f"{label} (%)"}.get(kind, str(label))


def _csv_cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind in ("minutes", "percent", "number"):
        return round(float(value), 1)
    if kind == "date":
        return value.isoformat()
    text = str(value)
    # a cell a spreadsheet would run as a formula (a tag or a team named "=cmd()")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@requires(Perm.VIEW_REPORTS)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return _page(request, "reports", "reports/overview.html", _overview_with_csat)


def _overview_with_csat(f: ReportFilter) -> dict[str, Any]:
    report = queries.overview(f)
    report["kpis"].append(csat_queries.kpis(f)[0])  # from the SurveyDay rollup
    return report


@requires(Perm.VIEW_REPORTS)
@require_GET
def csat(request: HttpRequest) -> HttpResponse:
    """Customer satisfaction: score and response rate, per channel, team and language, and
    the comments (``?q=`` searches them)."""
    search = request.GET.get("q", "").strip()[:200]
    return _page(request, "reports_csat", "surveys/report.html",
                 lambda f: csat_queries.report(f, search))


@requires(Perm.VIEW_REPORTS)
@require_GET
def response_times(request: HttpRequest) -> HttpResponse:
    return _page(request, "reports_response", "reports/response.html", queries.response_times)


@requires(Perm.VIEW_REPORTS)
@require_GET
def resolution(request: HttpRequest) -> HttpResponse:
    return _page(request, "reports_resolution", "reports/resolution.html", queries.resolution)


@requires(Perm.VIEW_REPORTS)
@require_GET
def volume(request: HttpRequest) -> HttpResponse:
    zone = getattr(request.user, "time_zone", "") or "UTC"
    return _page(request, "reports_volume", "reports/volume.html",
                 lambda f: queries.volume(f, zone))


@requires(Perm.VIEW_REPORTS)
@require_GET
def participation(request: HttpRequest) -> HttpResponse:
    return _page(request, "reports_participation", "reports/participation.html",
                 lambda f: participation_report.participation(f, request.user, org_figures=True))


@requires(Perm.VIEW)
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Everyone's own figures: the conversations they answered, against the daily share."""
    org = has_perm(request.user, Perm.VIEW_REPORTS)
    return _page(request, "reports_mine", "reports/participation.html",
                 lambda f: participation_report.participation(f, request.user, org_figures=org))
