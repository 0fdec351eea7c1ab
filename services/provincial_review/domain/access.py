"""Who sees what in the provincial review: no operator sees every case or form. A province sees the
cases, notices, completions, offset forms and weekly summaries of its own region, a unit its own
offset form (``shared.scope``), and nobody else any. NCSC, to whom the weekly summaries are sent
(seed 001 第四步), reads every province's summaries and nothing else."""

from __future__ import annotations

__all__ = ["HANDLING_REPORT_READERS", "OPERATORS", "SUMMARY_READERS"]

OPERATORS: frozenset[str] = frozenset()

# The scope of the weekly summaries of the offset forms: NCSC sees all of them.
SUMMARY_READERS: frozenset[str] = frozenset({"ncsc_operator"})

# The reports on the handling of overdue units go to the ministry (seed 001 二 "报送我部"). There is
# no ministry role; the national allowance registry's operators, who follow the period's compliance
# (its stats and overdue marks) for it, read every province's report on its behalf.
HANDLING_REPORT_READERS: frozenset[str] = frozenset({"registry_initiator", "registry_confirmer"})
