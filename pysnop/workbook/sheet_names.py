"""The names of the sheets pysnop writes, apart from the code that draws them.

The drawing code loads openpyxl (a tenth of a second); a run needs these names long before
it draws anything (the formula scan skips these sheets, the writer's checks refuse a user's
own sheet of one of these names), and its plan is forked before openpyxl loads
(:mod:`pysnop.pipeline.overlap`).
"""

from __future__ import annotations

BRIDGE_SHEET = "Bridge"
CHART_SHEET = "Bridge Chart"
ISSUES_SHEET = "Issues"
OWNED_SHEETS = (BRIDGE_SHEET, CHART_SHEET, ISSUES_SHEET)
# every sheet some run of pysnop writes: a user's own sheet of one of these names is refused
RESERVED_SHEETS = (*OWNED_SHEETS, "Consensus", "Scorecard", "Actions", "Review")

__all__ = ["BRIDGE_SHEET", "CHART_SHEET", "ISSUES_SHEET", "OWNED_SHEETS", "RESERVED_SHEETS"]
