"""Extension requests awaiting a decision, as a table (the page lists them as cards too)."""

from __future__ import annotations

from flask_babel import gettext as _

from ....services import dashboard as dash
from ..tables import Col, Table, When
from .common import name
from .office import status_flag


def pending_table(scope: dash.Scope, pending: list[dash.ExtensionRequest]) -> Table:
    table = Table(
        key="extensions",
        title=_("待审批的延期申请"),
        cols=[
            Col(_("办件编号")),
            Col(_("部门")),
            Col(_("事项")),
            Col(_("状态")),
            Col(_("申请延长（工作日）"), True),
            Col(_("申请理由")),
            Col(_("申请时间"), nowrap=True),
            Col(_("当前应办结日期"), nowrap=True),
        ],
        empty=_("没有待审批的延期申请"),
    )
    for r in pending:
        table.rows.append(
            [
                r.tracking_number,
                name(scope.offices[r.office_id]),
                name(scope.services[r.service_id]),
                status_flag(r.status),
                r.days,
                r.reason,
                When(r.requested_at),
                r.due_on,
            ]
        )
    return table
