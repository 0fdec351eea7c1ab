"""Dependencies of the provincial review's routes: the province's two roles, named for whose role
they are (省级 经办 makes the first review, 省级 复核 the second). What a province then sees is its
own region (the scope rule, ``domain/access.py``)."""

from __future__ import annotations

from typing import Any

from shared.api_deps import BusDep, Enterprise, Page, ProvinceConfirmer, ProvinceInitiator, roles

__all__ = [
    "CSV",
    "BusDep",
    "Enterprise",
    "FormReader",
    "HandlingReportReader",
    "Page",
    "ProvinceConfirmer",
    "ProvinceInitiator",
    "ProvinceReviewer",
    "SummaryReader",
]

# Either of the province's reviewers (经办 or 复核): reading cases and the dashboard, deciding offset forms.
ProvinceReviewer = roles("province_initiator", "province_confirmer")
# An offset form is read by its unit and by its province's reviewers (the scope rule tells which).
FormReader = roles("enterprise", "province_initiator", "province_confirmer")
# The weekly summaries go to NCSC; a province reads its own.
SummaryReader = roles("province_initiator", "province_confirmer", "ncsc_operator")
# The report on the handling of overdue units goes to the ministry, read by the national registry's
# operators on its behalf (``domain/access.py``); a province reads its own.
HandlingReportReader = roles("province_initiator", "province_confirmer", "registry_initiator", "registry_confirmer")

CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "the page; `Accept: text/csv` gives the same rows as CSV — 列表（可导出 CSV）",
    }
}
