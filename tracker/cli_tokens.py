"""``flask --app wsgi tracker api-token …``: create, list and revoke API tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from .domain.errors import DomainError
from .extensions import db
from .models import Office, User

api_token_cli = AppGroup("api-token", help="Bearer tokens for the JSON API and Open311.")


def _holder(
    citizen: str | None, office: str | None, supervisor: str | None
) -> tuple[str, User | None, Office | None]:
    chosen = [x for x in (citizen, office, supervisor) if x]
    if len(chosen) != 1:
        raise click.UsageError("name exactly one of --citizen, --office, --supervisor")
    if office:
        found = db.session.scalars(sa.select(Office).where(Office.code == office)).one_or_none()
        if found is None:
            raise click.UsageError(f"no office with code {office}")
        return "office", None, found
    if citizen:
        user = db.session.scalars(sa.select(User).where(User.phone == citizen)).one_or_none()
        return "citizen", user, None
    user = db.session.scalars(sa.select(User).where(User.username == supervisor)).one_or_none()
    return "supervisor", user, None


@api_token_cli.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 成都高新区政务大厅柜台.")
@click.option("--citizen", "citizen", default=None, help="Acts for the citizen with this phone.")
@click.option("--office", "office", default=None, help="Acts for this office's clerks (code).")
@click.option("--supervisor", default=None, help="Reads as this supervisor (username).")
@click.option("--days", default=90, show_default=True, help="Days until it expires.")
def create_command(
    name: str, citizen: str | None, office: str | None, supervisor: str | None, days: int
) -> None:
    """Create a token and print its secret once."""
    from .services.api_tokens import TokenScope, create_token

    scope, user, found_office = _holder(citizen, office, supervisor)
    try:
        issued = create_token(
            name=name,
            scope=TokenScope(scope),
            now=datetime.now(UTC),
            created_by="cli",
            days=days,
            user=user,
            office=found_office,
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    t = issued.token
    click.echo(f"token {t.id} ({t.scope}) '{t.name}' expires {t.expires_at:%Y-%m-%d %H:%M} UTC")
    click.echo("secret (shown once, keep it safe):")
    click.echo(issued.secret)


@api_token_cli.command("list")
def list_command() -> None:
    """Every token: id, scope, holder, prefix, expiry, last use, revoked."""
    from .services.api_tokens import list_tokens

    for t in list_tokens():
        holder = t.office.code if t.office else (t.user.username or t.user.phone if t.user else "")
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(
            f"{t.id}\t{t.scope}\t{holder}\t{t.prefix}…\t{t.name}\t"
            f"expires {t.expires_at:%Y-%m-%d}\tused {used}\t{state}"
        )


@api_token_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_command(token_id: int) -> None:
    """Revoke a token at once (its next call answers 401)."""
    from .services.api_tokens import revoke

    try:
        t = revoke(token_id, datetime.now(UTC), by="cli")
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"token {t.id} revoked")


def register_key_commands(group: AppGroup) -> None:
    @group.command("rotate-keys")
    @click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
    def rotate_keys_command(batch: int) -> None:
        """Re-seal personal data and uploaded files with the first key of DATA_KEYS
        (resumable)."""
        from pathlib import Path

        from flask import current_app

        from .services.keys import rotate, rotate_files

        report = rotate(batch)
        files = rotate_files(Path(current_app.config["UPLOAD_FOLDER"]))
        click.echo(
            f"re-sealed: users {report.users}, cases {report.cases}, files {files}; nothing left"
        )

    @group.command("new-key")
    def new_key_command() -> None:
        """Print a fresh random key (base64) for DATA_KEYS or LOOKUP_KEY."""
        from .crypto import new_key

        click.echo(new_key())
