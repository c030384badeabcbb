"""``flask --app wsgi tracker …`` commands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from .domain.errors import DomainError
from .extensions import db

tracker_cli = AppGroup("tracker", help="Tongban catalogue, demo data, calendar and upkeep.")
holidays_cli = AppGroup("holidays", help="Official working-day tables (法定节假日安排).")
tracker_cli.add_command(holidays_cli)


def _today(value: str | None) -> date:
    if value:
        return date.fromisoformat(value)
    from .services.calendar import local_date

    return local_date(datetime.now(UTC))


@tracker_cli.command("load-catalogue")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
def load_catalogue_command(folder: str | None) -> None:
    """Load regions, departments, offices and services (upsert by code) from FOLDER."""
    from .services.catalogue import DEFAULT_DIR, load_catalogue

    try:
        report = load_catalogue(Path(folder) if folder else DEFAULT_DIR)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"catalogue loaded: {report}")


@tracker_cli.command("seed-demo")
@click.option("--cases", default=400, show_default=True, help="How many demo cases.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (deterministic).")
@click.option("--today", default=None, help="Pretend today is this date (YYYY-MM-DD).")
@click.option("--if-empty", is_flag=True, help="Do nothing when any user exists already.")
def seed_demo_command(cases: int, seed: int, today: str | None, if_empty: bool) -> None:
    """Create the demo accounts and CASES demo cases in every state over the past 60 days."""
    from .models import Service, User
    from .services.demo import seed_demo

    if if_empty and db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("demo data: the database already has users; left as it is")
        return
    if not db.session.scalar(sa.select(sa.func.count(Service.id))):
        raise click.ClickException(
            "load the catalogue first: flask --app wsgi tracker load-catalogue"
        )
    # the real time: nothing the demo makes is dated after it (--today pretends a day, 18:00)
    when = {"today": _today(today)} if today else {"now": datetime.now(UTC)}
    report = seed_demo(**when, cases=cases, seed=seed)  # type: ignore[arg-type]
    click.echo(f"demo data: {report}")


@tracker_cli.command("demo-logins")
def demo_logins_command() -> None:
    """Print the demo accounts."""
    from .services.demo import DEMO_PASSWORD

    click.echo(
        "Demo logins (password for all: " + DEMO_PASSWORD + ")\n"
        "  citizens    13900000001 … 13900000010  (13900000001 lives in 渝北区, insured in 成都)\n"
        "  clerks      clerk.cd.<kind>, clerk.cq.<kind>  kinds: mi hf hrss psb traffic amr dpf\n"
        "              e.g. clerk.cd.hf 成都住房公积金管理中心, clerk.cq.hf 重庆市住房公积金管理中心\n"
        "              and clerk.<office code> for every office (region code-kind), e.g.\n"
        "              clerk.510100-hf 成都住房公积金管理中心, clerk.510700-hrss (绵阳),\n"
        "              clerk.500103-mi (渝中区); office codes: tracker/catalogue/data/offices.csv\n"
        "  supervisors sup.sc (四川), sup.cq (重庆), sup.all (all regions)\n"
        "  admin       admin"
    )


@holidays_cli.command("load")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def holidays_load_command(file: click.File) -> None:
    """Load one year's official schedule from a JSON FILE (see docs/holidays.md)."""
    from .services.calendar import load_year_table
    from .services.deadlines import fill_pending_due_dates

    try:
        data = json.load(file)  # type: ignore[arg-type]
        table = load_year_table(data, loaded_by="cli", now=datetime.now(UTC))
    except (DomainError, ValueError) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from exc
    click.echo(
        f"{table.year}: {len(table.holidays)} days off, {len(table.workdays)} adjusted "
        f"working days loaded ({table.source or 'no source given'})"
    )
    click.echo(f"due dates filled in for {fill_pending_due_dates()} cases that waited for it")


@holidays_cli.command("list")
def holidays_list_command() -> None:
    """Which years the working-day calendar covers, and from where."""
    from .services.calendar import get_calendar

    cal = get_calendar()
    for year in sorted(cal.known_years()):
        if year >= 2020:
            click.echo(f"{year}: {cal.source_of(year)}")


@tracker_cli.command("outbox")
@click.option("--limit", default=200, show_default=True)
@click.option("--enqueue", is_flag=True, help="Leave it to the worker.")
def outbox_command(limit: int, enqueue: bool) -> None:
    """Send pending SMS/e-mail notices (the worker does it every minute; or from cron)."""
    from flask import current_app

    if enqueue:
        _enqueue("outbox")
        return

    from .services.outbox import deliver_pending, senders_for

    sent, failed = deliver_pending(senders_for(current_app.config), datetime.now(UTC), limit=limit)
    click.echo(f"outbox: {sent} sent, {failed} failed")


@tracker_cli.command("prune")
@click.option("--enqueue", is_flag=True, help="Leave it to the worker.")
def prune_command(enqueue: bool) -> None:
    """Delete records past their retention period (RETAIN_* settings; docs/security.md)."""
    from flask import current_app

    if enqueue:
        _enqueue("retention")
        return
    from .services.retention import policy_from, prune

    click.echo(f"pruned: {prune(policy_from(current_app.config), datetime.now(UTC))}")


@tracker_cli.command("sweep-uploads")
@click.option(
    "--older-than-hours",
    default=24,
    show_default=True,
    help="Only files at least this old (younger ones may belong to a submit in flight).",
)
@click.option("--enqueue", is_flag=True, help="Leave it to the worker (its default age).")
def sweep_uploads_command(older_than_hours: int, enqueue: bool) -> None:
    """Delete stored files that no attachment refers to (abandoned forms, failed commits)."""
    from datetime import timedelta

    from flask import current_app

    if enqueue:
        _enqueue("sweep_uploads")
        return

    from .services.uploads import sweep_orphans

    removed = sweep_orphans(
        Path(current_app.config["UPLOAD_FOLDER"]),
        older_than=timedelta(hours=older_than_hours),
        now=datetime.now(UTC),
    )
    click.echo(f"uploads: {len(removed)} orphaned files removed")


@tracker_cli.command("sweep")
@click.option("--enqueue", is_flag=True, help="Leave it to the worker.")
def sweep_command(enqueue: bool) -> None:
    """Art. 32 five-day rule, overdue notices to offices (the worker runs it hourly)."""
    from flask import current_app

    if enqueue:
        _enqueue("sweep")
        return

    from .services.office import sweep

    report = sweep(
        datetime.now(UTC), limit_days=current_app.config["ACCEPTANCE_LIMIT_WORKING_DAYS"]
    )
    click.echo(f"sweep: {report}")


@tracker_cli.command("rollup")
@click.option(
    "--rebuild",
    is_flag=True,
    required=True,
    help="Recount the daily counters from the event history (idempotent).",
)
@click.option("--enqueue", is_flag=True, help="Leave it to the worker.")
def rollup_command(rebuild: bool, enqueue: bool) -> None:
    """The dashboards' daily counters (kept current by every event; rebuild after a bulk load;
    the worker recounts nightly)."""
    from .services.rollup import rebuild as do_rebuild

    if enqueue:
        _enqueue("rollup")
        return

    click.echo(f"rollup: {do_rebuild()} counter rows rebuilt from the event history")


@tracker_cli.group("audit")
def audit_cli() -> None:
    """The sealed audit log (SECURITY.md #17)."""


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Check every row's seal and link; exit 1 naming the first row that does not fit.

    Prints the head (rows and last seal): keep it somewhere outside the database, since
    cutting rows off the end leaves a shorter chain that is still valid."""
    from .services.audit import verify

    verdict = verify()
    if verdict.broken is not None:
        click.echo(
            f"audit log: BROKEN at row {verdict.broken.row_id} — "
            f"{verdict.broken.reason} ({verdict.rows - 1} rows before it are intact)",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"audit log: {verdict.rows} rows intact; head {verdict.head or '(empty)'}")


@tracker_cli.command("open-data")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", required=True, help="First Beijing day, YYYY-MM-DD.")
@click.option("--to", "end", default=None, help="Last Beijing day (default: today).")
@click.option("--region", default=None, help="Only offices in this GB/T 2260 region, e.g. 510000.")
@click.option(
    "--min-cell",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Cells below this count are suppressed.",
)
def open_data_command(
    out: Path, start: str, end: str | None, region: str | None, min_cell: int
) -> None:
    """Write anonymised daily outcomes (day x region x service x outcome) to OUT and OUT.md."""
    from .services.dashboard import load_scope
    from .services.opendata import export_open_data

    try:
        first, last = date.fromisoformat(start), _today(end)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    scope = load_scope(region)
    if region is not None and region not in scope.regions:
        raise click.BadParameter(f"unknown region {region}", param_hint="--region")
    try:
        report = export_open_data(
            out,
            start=first,
            end=last,
            min_cell=min_cell,
            office_ids=None if region is None else scope.office_ids(),
            scope_name=scope.region.name_zh if scope.region else "全部地区",
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"open data: {report.rows} rows ({report.suppressed} suppressed) -> "
        f"{report.path}, {report.readme}"
    )


def _enqueue(name: str) -> None:
    from .jobs import jobs_of

    jobs_of().enqueue(name)
    click.echo(f"{name}: enqueued for the worker")


@tracker_cli.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Schedule the periodic jobs from this worker too (safe on several: docs/jobs.md).",
)
@click.option(
    "--worker-type", type=click.Choice(["thread", "process"]), default="thread", show_default=True
)
def worker_command(workers: int, periodic: bool, worker_type: str) -> None:
    """Run the background-job worker (Huey consumer) until Ctrl-C or SIGTERM."""
    import logging

    from flask import current_app

    from .jobs import jobs_of

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    jobs = jobs_of(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"worker: {type(jobs.huey).__name__} {jobs.huey.name!r}, {workers} {worker_type}s")
    jobs.consumer(workers=workers, periodic=periodic, worker_type=worker_type).run()


@tracker_cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1))
def serve_command(host: str, port: int, workers: int) -> None:
    """The web server and the job worker together (make run); Ctrl-C stops both."""
    from .launcher import run

    status = run(
        host, port, workers, echo=[f"Serving on http://{host}:{port}/  (Ctrl-C stops both)"]
    )
    raise SystemExit(status)


webhook_cli = AppGroup("webhook", help="Signed webhooks for office back-ends (docs/jobs.md).")
tracker_cli.add_command(webhook_cli)


@webhook_cli.command("add")
@click.option("--office", "office_code", required=True, help="Office code, e.g. 510100-HF.")
@click.option("--url", required=True, help="http(s) URL that receives the POSTs.")
@click.option("--events", default="", help="Comma-separated, e.g. accept,forward (default all).")
def webhook_add_command(office_code: str, url: str, events: str) -> None:
    """Register an endpoint; prints its secret once."""
    from flask import current_app

    from .jobs import webhook_policy
    from .models import Office
    from .services.webhooks import WebhookError, register_endpoint

    office = db.session.scalar(sa.select(Office).where(Office.code == office_code))
    if office is None:
        raise click.BadParameter(f"no office {office_code}", param_hint="--office")
    try:
        endpoint, secret = register_endpoint(
            office.id,
            url,
            events.split(","),
            created_by=None,
            created_by_name="cli",
            now=datetime.now(UTC),
            policy=webhook_policy(current_app.config),
        )
    except WebhookError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field or 'url'}") from exc
    click.echo(f"webhook {endpoint.id} for {office_code}: {endpoint.url}")
    click.echo(f"events: {', '.join(endpoint.events) or 'all'}")
    click.echo(f"secret (shown once, keep it): {secret}")


@webhook_cli.command("list")
@click.option("--office", "office_code", default=None)
def webhook_list_command(office_code: str | None) -> None:
    """The endpoints, with their office, state and events."""
    from .models import Office
    from .services.webhooks import endpoints

    office_id = None
    if office_code:
        office_id = db.session.scalar(sa.select(Office.id).where(Office.code == office_code))
        if office_id is None:
            raise click.BadParameter(f"no office {office_code}", param_hint="--office")
    for e in endpoints(office_id):
        state = "active" if e.active else "disabled"
        click.echo(f"{e.id}\t{e.office.code}\t{state}\t{e.url}\t{','.join(e.events) or 'all'}")


@webhook_cli.command("disable")
@click.argument("endpoint_id", type=int)
def webhook_disable_command(endpoint_id: int) -> None:
    """Stop sending to an endpoint (what waited for it is marked failed)."""
    from .services.webhooks import WebhookError, disable_endpoint

    try:
        disable_endpoint(None, endpoint_id, datetime.now(UTC))
    except WebhookError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"webhook {endpoint_id} disabled")


@webhook_cli.command("deliver")
@click.option("--enqueue", is_flag=True, help="Leave it to the worker.")
def webhook_deliver_command(enqueue: bool) -> None:
    """Send the webhook deliveries that are due (the worker does it by itself)."""
    from .jobs import run_webhooks

    if enqueue:
        _enqueue("webhooks")
        return
    click.echo(run_webhooks())


def register_cli(app: Flask) -> None:
    from .cli_tokens import api_token_cli, register_key_commands

    tracker_cli.add_command(api_token_cli)
    register_key_commands(tracker_cli)
    app.cli.add_command(tracker_cli)


notice_keys_cli = AppGroup(
    "notice-keys", help="Signing keys for written notices (docs/notices.md)."
)
tracker_cli.add_command(notice_keys_cli)


@notice_keys_cli.command("create")
@click.option("--office", "office_codes", multiple=True, help="Only these offices (repeatable).")
@click.option("--rotate", is_flag=True, help="Replace the offices' keys (old ones to retired/).")
@click.option("--rotate-ca", is_flag=True, help="Make a new CA (the old one stays trusted).")
def notice_keys_create_command(
    office_codes: tuple[str, ...], rotate: bool, rotate_ca: bool
) -> None:
    """Create the CA (if missing) and a key and certificate for every office (if missing)."""
    from flask import current_app

    from .models import Office
    from .services.notice_keys import KeyStore

    store = KeyStore(current_app.config["NOTICE_KEYS_DIR"])
    now = datetime.now(UTC)
    if store.create_ca(now, rotate=rotate_ca):
        click.echo(f"CA created: {store.ca_cert_path}")
    query = sa.select(Office).order_by(Office.code)
    if office_codes:
        query = query.where(Office.code.in_(office_codes))
    offices = list(db.session.scalars(query))
    if office_codes and len(offices) != len(set(office_codes)):
        found = {o.code for o in offices}
        raise click.BadParameter(
            f"unknown office {sorted(set(office_codes) - found)}", param_hint="--office"
        )
    made = 0
    for office in offices:
        key_path, cert_path = store.office_paths(office.code)
        if rotate or rotate_ca or not (key_path.exists() and cert_path.exists()):
            store.create_office(office.code, office.name_zh, now, rotate=True)
            made += 1
    click.echo(f"{made} office key(s) created in {store.folder} ({len(offices)} offices)")


@notice_keys_cli.command("check")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def notice_keys_check_command(pdf: Path) -> None:
    """Check a notice PDF's signature against this installation's CA(s)."""
    from flask import current_app

    from .services.notice_keys import KeyStore, check_signature

    result = check_signature(pdf.read_bytes(), KeyStore(current_app.config["NOTICE_KEYS_DIR"]))
    click.echo(
        f"signed={result.signed} intact={result.intact} trusted={result.trusted} "
        f"signer={result.signer!r}"
    )
    raise SystemExit(0 if result.ok else 1)
