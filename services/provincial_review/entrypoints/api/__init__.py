"""The provincial review's REST face."""

from __future__ import annotations

from services.provincial_review.entrypoints.api.routers import ROUTERS
from shared.webapp import ApiSpec

__all__ = ["API"]

API = ApiSpec(
    title="Provincial review — 省级生态环境主管部门审核",
    description="Review cases for compliance applications (first and second review), first-period offset forms, dashboards.",
    routers=ROUTERS,
    openapi_tags=[
        {"name": "reviews", "description": "Review cases of compliance applications — 履约申请审核案件"},
        {"name": "dashboard", "description": "Compliance progress of the own province — 本省履约进度"},
        {
            "name": "offset forms",
            "description": "First-period CCER offset application forms — 第一个履约周期 CCER 抵销配额清缴申请表",
        },
        {
            "name": "offset form summaries",
            "description": "Weekly summaries of the forms received or decided, for NCSC (Fridays 17:00) — "
            "申请表周汇总（每周五17点）",
        },
        {
            "name": "overdue handling",
            "description": "The handling of units that did not surrender in time, reported to the ministry — "
            "未按时足额清缴单位处理情况",
        },
    ],
)
