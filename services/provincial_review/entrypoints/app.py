"""The provincial_review as a FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.provincial_review.adapters.orm import infra, metadata
from services.provincial_review.entrypoints.api import router
from services.provincial_review.service_layer import reviews
from shared.clock import Clock
from shared.service import ServiceSpec, create_service_app, service_main
from shared.settings import Settings

NAME = "provincial_review"


def spec() -> ServiceSpec:
    return ServiceSpec(
        name=NAME,
        title="Provincial review — 省级生态环境主管部门审核",
        description="Review cases for compliance applications (first and second review), first-period offset forms, dashboards.",
        metadata=metadata,
        infra=infra,
        migrations_dir=Path(__file__).resolve().parent.parent / "migrations",
        routers=[router],
        event_handlers={
            "allowance_registry.application.submitted": reviews.on_application_submitted,  # type: ignore[dict-item]
            "allowance_registry.notice.issued": reviews.on_notice_issued,  # type: ignore[dict-item]
            "allowance_registry.compliance.completed": reviews.on_compliance_completed,  # type: ignore[dict-item]
        },
        openapi_tags=[
            {
                "name": "reviews",
                "description": "Review cases: automated checks, first review (初审) and "
                "second review (复审) — 履约申请审核",
            },
            {"name": "dashboard", "description": "Compliance progress of the province — 履约进度"},
        ],
    )


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    return create_service_app(spec(), settings, clock=clock)


if __name__ == "__main__":
    service_main(spec)
