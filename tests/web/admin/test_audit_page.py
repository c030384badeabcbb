"""The admin's audit trail: the seal check on top, filters by actor, object, action and date,
paging; an admin change shows its before and after, other rows no personal data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.builders import NOW, PASSWORD, admin, citizen, login_as
from tracker.extensions import db
from tracker.models import AuditEntry
from tracker.services import admin_changes, audit
from tracker.web import wallclock


@pytest.fixture
def boss(app, client, monkeypatch):
    monkeypatch.setattr(wallclock, "now", lambda: NOW)
    user = admin()
    login_as(client, user)
    return user


def change(user, key: str, at: datetime, **after) -> None:
    with db.session.begin_nested():
        admin_changes.record_change(
            db.session, actor=user, at=at, kind="office", key=key, change="created", after=after
        )
    db.session.commit()


def test_the_seal_check_is_on_top_and_an_admin_change_shows_before_and_after(app, client, boss):
    change(boss, "YN-KM", NOW, name_zh="昆明市政务大厅")
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "封印完好" in html
    assert html.index("封印完好") < html.index("office:YN-KM")
    assert "昆明市政务大厅" in html and "修改前后" in html


def test_other_rows_show_no_personal_data(app, client, boss):
    person = citizen()
    phone = person.phone
    failed = app.test_client()
    failed.post("/login", data={"login": phone, "password": "wrong-password-1"})
    good = app.test_client()
    good.post("/login", data={"login": phone, "password": PASSWORD})
    with db.session.begin_nested():
        audit.record(
            db.session,
            at=NOW,
            action="register.code",
            success=True,
            target=f"phone:{phone}",  # as if a row had kept a whole number
            detail={"phone": phone},
        )
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "login_failed" in html and "register.code" in html
    assert phone not in html and person.real_name not in html
    assert f"{phone[:3]}****{phone[-4:]}" in html
    assert f"#{person.id}" in html  # a citizen is named by account number


def test_filters_by_actor_object_action_and_date(app, client, boss):
    other = admin()
    change(boss, "A-1", datetime(2026, 10, 1, 2, tzinfo=UTC))
    change(other, "A-2", datetime(2026, 10, 5, 2, tzinfo=UTC))
    change(boss, "B-1", datetime(2026, 10, 9, 2, tzinfo=UTC))

    def shown(**query) -> set[str]:
        html = client.get("/admin/audit", query_string=query).get_data(as_text=True)
        return {k for k in ("office:A-1", "office:A-2", "office:B-1") if k in html}

    assert shown() == {"office:A-1", "office:A-2", "office:B-1"}
    assert shown(actor=other.username) == {"office:A-2"}
    assert shown(target="office:A") == {"office:A-1", "office:A-2"}
    assert shown(action="admin_change", since="2026-10-05") == {"office:A-2", "office:B-1"}
    assert shown(since="2026-10-02", until="2026-10-05") == {"office:A-2"}
    assert shown(action="login_failed") == set()


def test_a_bad_date_is_named_and_kept(app, client, boss):
    response = client.get("/admin/audit", query_string={"since": "2026-13-01", "actor": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="since-error"' in html and 'value="2026-13-01"' in html and 'value="x"' in html
    backwards = client.get(
        "/admin/audit", query_string={"since": "2026-10-05", "until": "2026-10-01"}
    )
    assert backwards.status_code == 422 and "结束日期不能早于开始日期" in backwards.get_data(
        as_text=True
    )


def test_the_log_is_paged(app, client, boss):
    for n in range(55):
        change(boss, f"P-{n:02d}", NOW)
    first = client.get("/admin/audit", query_string={"target": "office:P-"}).get_data(as_text=True)
    assert "office:P-54" in first and "office:P-04" not in first and "第 1 / 2 页" in first
    second = client.get("/admin/audit", query_string={"target": "office:P-", "page": "2"}).get_data(
        as_text=True
    )
    assert "office:P-04" in second and "office:P-54" not in second


def test_a_tampered_row_is_reported_on_top(app, client, boss):
    change(boss, "T-1", NOW, name_zh="甲")
    change(boss, "T-2", NOW, name_zh="乙")
    row = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.target == "office:T-1")).one()
    db.session.execute(
        sa.update(AuditEntry).where(AuditEntry.id == row.id).values(detail={"change": "forged"})
    )
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "日志被改动" in html and f"第 {row.id} 条记录与封印链不符" in html
