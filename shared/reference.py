"""Reference data every service reads the same way: provincial divisions, carbon exchanges, and the
compliance periods with their dates (``data/compliance_periods.yaml``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared.timeutil import CST, after_deadline, first_second_after, local

__all__ = [
    "EXCHANGES",
    "LEGACY_EXCHANGES",
    "NEW_CCER_EXCHANGE",
    "PERIODS_FILE",
    "PROVINCES",
    "CompliancePeriods",
    "DailyRecords",
    "FormWindow",
    "PeriodDates",
    "PurposeDeadline",
]

# GB/T 2260 provincial-level division codes (domain.md §2: a province sees its own region).
PROVINCES: dict[str, str] = {
    "110000": "北京市",
    "120000": "天津市",
    "130000": "河北省",
    "140000": "山西省",
    "150000": "内蒙古自治区",
    "210000": "辽宁省",
    "220000": "吉林省",
    "230000": "黑龙江省",
    "310000": "上海市",
    "320000": "江苏省",
    "330000": "浙江省",
    "340000": "安徽省",
    "350000": "福建省",
    "360000": "江西省",
    "370000": "山东省",
    "410000": "河南省",
    "420000": "湖北省",
    "430000": "湖南省",
    "440000": "广东省",
    "450000": "广西壮族自治区",
    "460000": "海南省",
    "500000": "重庆市",
    "510000": "四川省",
    "520000": "贵州省",
    "530000": "云南省",
    "540000": "西藏自治区",
    "610000": "陕西省",
    "620000": "甘肃省",
    "630000": "青海省",
    "640000": "宁夏回族自治区",
    "650000": "新疆维吾尔自治区",
    "660000": "新疆生产建设兵团",
}

# The national voluntary-reduction exchange (new CCER) and the nine legacy CCER exchanges.
NEW_CCER_EXCHANGE = "CBGEX"
EXCHANGES: dict[str, str] = {
    "CBGEX": "北京绿色交易所（全国温室气体自愿减排交易）",
    "CBEEX": "北京绿色交易所",
    "TCX": "天津排放权交易所",
    "SEEE": "上海环境能源交易所",
    "CEEX": "广州碳排放权交易中心",
    "CNEEEX": "深圳排放权交易所",
    "HBEX": "湖北碳排放权交易中心",
    "CQUAEE": "重庆联合产权交易所",
    "SCEEX": "四川联合环境交易所",
    "HXEE": "海峡股权交易中心",
}
LEGACY_EXCHANGES: tuple[str, ...] = tuple(code for code in EXCHANGES if code != NEW_CCER_EXCHANGE)


# --- compliance periods: their dates as data ------------------------------------------------------

PERIODS_FILE = Path(__file__).resolve().parent / "data" / "compliance_periods.yaml"

# The keys of a period entry that are not the allowance registry's definition (履约范围 / 抵销规则).
_DATE_KEYS = frozenset({"offset_form", "cancellation", "daily_records", "sync", "handling_report_due"})


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormWindow(_Frozen):
    """The province accepts the first period's application form from ``opens_at`` to ``deadline``
    (both inclusive, ``deadline`` being the last instant, to the second)."""

    opens_at: AwareDatetime
    deadline: AwareDatetime


class PurposeDeadline(_Frozen):
    """A legacy-registry step for units cancelled with ``purpose``, open until ``deadline`` (inclusive)."""

    purpose: str = Field(max_length=40)
    deadline: AwareDatetime


class DailyRecords(_Frozen):
    """On every day from ``first_day`` to ``last_day`` (both included), and on no other day, NCSC
    sends the cancellation records made up to ``cutoff`` of that day (inclusive, to the second, as
    every deadline) and not yet sent; the batch goes out one second after the cutoff ("于每日 17 点后")."""

    first_day: date
    last_day: date
    cutoff: time = time(17, 0)

    def batch_on(self, day: date) -> datetime:
        return first_second_after(datetime.combine(day, self.cutoff, tzinfo=CST))

    def batch_after(self, instant: datetime) -> datetime | None:
        """The batch that covers a record made at ``instant`` (None: after the last batch)."""
        at = local(instant)
        day = at.date()
        if after_deadline(datetime.combine(day, self.cutoff, tzinfo=CST), at):
            day += timedelta(days=1)
        day = max(day, self.first_day)
        return self.batch_on(day) if day <= self.last_day else None

    def sends_on(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


class PeriodDates(_Frozen):
    """What every service needs of a period besides the allowance registry's definition."""

    code: str
    name: str
    origins: tuple[str, ...]
    cap_bp: int
    application_deadline: AwareDatetime
    offset_form: FormWindow | None = None
    cancellation: PurposeDeadline | None = None
    daily_records: DailyRecords | None = None
    sync: PurposeDeadline | None = None
    handling_report_due: AwareDatetime | None = None

    def accepts(self, origin: str, at: datetime) -> bool:
        """The period still takes CCER of ``origin`` in compliance applications at ``at``."""
        return origin in self.origins and not after_deadline(self.application_deadline, at)


class CompliancePeriods:
    """The periods of one definitions file (by default :data:`PERIODS_FILE`), keyed by code.

    Every service reads its period dates here (``uow.period_definitions``), so that a new period,
    or a moved deadline, is a change of the file alone. Deadlines are the last instant a person can
    act (:func:`shared.timeutil.after_deadline`)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self._periods: dict[str, dict[str, Any]] = {str(k): dict(v) for k, v in (raw.get("periods") or {}).items()}
        self._instruments: dict[str, dict[str, Any]] = {
            str(k): dict(v) for k, v in (raw.get("instruments") or {}).items()
        }
        self.dates: dict[str, PeriodDates] = {
            code: PeriodDates(
                code=code,
                name=entry["name"],
                origins=tuple((entry.get("eligibility") or {}).get("origins") or ()),
                cap_bp=entry["cap_bp"],
                application_deadline=entry["application_deadline"],
                **{k: entry[k] for k in _DATE_KEYS if entry.get(k) is not None},
            )
            for code, entry in self._periods.items()
        }

    @classmethod
    def from_file(cls, path: Path | None = None) -> CompliancePeriods:
        return _load_periods(path or PERIODS_FILE)

    # the allowance registry's built-in definitions
    def definitions(self) -> dict[str, dict[str, Any]]:
        """Code → the allowance registry's definition of the period (without ``code``)."""
        return {code: {k: v for k, v in e.items() if k not in _DATE_KEYS} for code, e in self._periods.items()}

    def instruments(self) -> dict[str, dict[str, Any]]:
        """Instrument code → ``{name, vintage}`` for the instruments the periods name."""
        return {code: dict(v) for code, v in self._instruments.items()}

    # the dates
    def get(self, code: str) -> PeriodDates | None:
        return self.dates.get(code)

    def with_form(self) -> dict[str, PeriodDates]:
        """The periods whose offset path starts with the province's application form."""
        return {code: p for code, p in self.dates.items() if p.offset_form is not None}

    def cancellation_of(self, purpose: str) -> PurposeDeadline | None:
        return next(
            (p.cancellation for p in self.dates.values() if p.cancellation and p.cancellation.purpose == purpose), None
        )

    def sync_of(self, purpose: str) -> PurposeDeadline | None:
        return next((p.sync for p in self.dates.values() if p.sync and p.sync.purpose == purpose), None)

    def sync_rules(self) -> tuple[PurposeDeadline, ...]:
        return tuple(p.sync for p in self.dates.values() if p.sync is not None)

    def accepting(self, origin: str, at: datetime) -> list[PeriodDates]:
        """The periods that still take CCER of ``origin`` at ``at``."""
        return [p for p in self.dates.values() if p.accepts(origin, at)]

    def last_accepting(self, origin: str) -> PeriodDates | None:
        """The period whose deadline for ``origin`` comes last (None: no period takes it)."""
        taking = [p for p in self.dates.values() if origin in p.origins]
        return max(taking, key=lambda p: p.application_deadline, default=None)

    def daily_batch_after(self, instant: datetime) -> datetime | None:
        """The first daily-records batch strictly after ``instant`` inside a period's daily-records
        window (a record made before a window opens goes out with its first batch); None when no
        window has a batch left."""
        batches = [p.daily_records.batch_after(instant) for p in self.dates.values() if p.daily_records]
        return min((b for b in batches if b is not None), default=None)

    def daily_records_sent_on(self, day: date) -> bool:
        """Some period's daily-records window includes ``day``."""
        return any(p.daily_records.sends_on(day) for p in self.dates.values() if p.daily_records)


@lru_cache(maxsize=8)
def _load_periods(path: Path) -> CompliancePeriods:
    return CompliancePeriods(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
