"""Portal views of the scheduler, report subscriptions and the mail outbox."""

import logging
from datetime import UTC, datetime

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select
from wtforms import SelectField, TextAreaField

from core import mail, reports, scheduler
from core.admin.base import PortalModelView, PortalView
from core.errors import PortalError
from core.extensions import db
from core.i18n import _, _l
from core.models.scheduling import (
    JobRun,
    OutboxMessage,
    ReportDelivery,
    ReportSubscription,
)

log = logging.getLogger(__name__)

PERMISSION = "core.scheduler.manage"
RUN_STATES = {
    "queued": _l("Queued"),
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped"),
}
MAIL_STATES = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
}
DELIVERY_OUTCOMES = {
    "queued": _l("Queued for mail"),
    "empty": _l("Empty, not sent"),
    "failed": _l("Failed"),
}
BADGES = {
    "failed": "danger",
    "running": "info",
    "queued": "secondary",
    "sending": "info",
    "skipped": "warning",
    "empty": "light",
}


def badge(state: str, labels: dict, stuck: bool = False) -> Markup:
    """A coloured label for a state; failures stand out in red."""
    if stuck:
        return Markup('<span class="badge badge-danger">{}</span>').format(
            _("Stuck in sending")
        )
    colour = BADGES.get(state, "success")
    return Markup('<span class="badge badge-{}">{}</span>').format(
        colour, labels.get(state, state)
    )


def error_text(value: str, limit: int = 300) -> Markup:
    """An error message in red, shortened for a list."""
    if not value:
        return Markup("")
    short = value if len(value) <= limit else value[: limit - 1] + "…"
    return Markup('<small class="text-danger" title="{}">{}</small>').format(
        value[-2000:], short
    )


def _local_time(value):
    if value is None:
        return ""
    return value.astimezone(scheduler.timezone_of()).strftime("%Y-%m-%d %H:%M:%S")


class JobsView(PortalView):
    """Every job with its schedule, next run and last outcome; run now."""

    view_permission = PERMISSION

    @expose("/")
    def index(self):
        """The list of jobs."""
        now = datetime.now(UTC)
        timezone = scheduler.timezone_of()
        last_runs = {
            run.job_id: run
            for run in db.session.scalars(
                select(JobRun).where(
                    JobRun.id.in_(select(func.max(JobRun.id)).group_by(JobRun.job_id))
                )
            )
        }
        failures = dict(
            db.session.execute(
                select(JobRun.job_id, func.count(JobRun.id))
                .where(JobRun.state == scheduler.FAILED)
                .group_by(JobRun.job_id)
            ).all()
        )
        rows = []
        for job in sorted(scheduler.jobs_by_id().values(), key=lambda j: j.id):
            try:
                trigger = scheduler.parse_trigger(job.trigger, timezone)
                next_run = scheduler.next_after(trigger, now)
            except PortalError:
                next_run = None
            rows.append(
                {
                    "job": job,
                    "next_run": _local_time(next_run),
                    "last": last_runs.get(job.id),
                    "failures": failures.get(job.id, 0),
                }
            )
        return self.render(
            "admin/scheduler_jobs.html",
            rows=rows,
            state=scheduler.state(current_app),
            badge=badge,
            states=RUN_STATES,
            local_time=_local_time,
        )

    @expose("/run", methods=("POST",))
    def run_now(self):
        """Queue a run of a job for the next scheduler to pick up."""
        job_id = request.form.get("job_id", "")
        try:
            scheduler.request_run(job_id, current_user.username)
            db.session.commit()
            flash(
                _("%(job)s is queued and starts within a few seconds.", job=job_id),
                "success",
            )
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
        return redirect(url_for(".index"))


class RunsView(PortalView):
    """The run history, newest first, failures highlighted."""

    view_permission = PERMISSION
    page_size = 100

    @expose("/")
    def index(self):
        """Recorded runs, filtered by job and state."""
        job_id = request.args.get("job", "")
        state = request.args.get("state", "")
        before = request.args.get("before", type=int)
        statement = select(JobRun).order_by(JobRun.id.desc()).limit(self.page_size)
        if job_id:
            statement = statement.where(JobRun.job_id == job_id)
        if state in RUN_STATES:
            statement = statement.where(JobRun.state == state)
        if before:
            statement = statement.where(JobRun.id < before)
        runs = db.session.scalars(statement).all()
        return self.render(
            "admin/scheduler_runs.html",
            runs=runs,
            filters={"job": job_id, "state": state},
            job_ids=sorted(scheduler.jobs_by_id()),
            states=RUN_STATES,
            badge=badge,
            local_time=_local_time,
            next_before=runs[-1].id if len(runs) == self.page_size else None,
        )


class SubscriptionView(PortalModelView):
    """Report subscriptions of the departments the user may see."""

    view_permission = edit_permission = PERMISSION
    allow_delete = True
    column_list = (
        "department",
        "report_id",
        "schedule",
        "format",
        "recipients",
        "next_due_at",
        "last_error",
        "is_active",
    )
    column_labels = {
        "department": _l("Department"),
        "report_id": _l("Report"),
        "schedule": _l("Schedule"),
        "send_time": _l("Send at"),
        "cron": _l("Cron expression"),
        "format": _l("Format"),
        "recipients": _l("Recipients"),
        "include_department_contacts": _l("Send to the department's contacts"),
        "extra_recipients": _l("Other recipients"),
        "send_when_empty": _l("Send when empty"),
        "is_active": _l("Active"),
        "next_due_at": _l("Next delivery"),
        "last_due_at": _l("Last delivery"),
        "last_error": _l("Last error"),
    }
    column_descriptions = {
        "cron": _l("Only for the cron schedule: minute hour day month weekday."),
        "extra_recipients": _l("E-mail addresses separated by commas."),
    }
    column_filters = ("report_id", "schedule", "is_active")
    column_default_sort = ("id", True)
    form_columns = (
        "department",
        "report_id",
        "schedule",
        "send_time",
        "cron",
        "format",
        "include_department_contacts",
        "extra_recipients",
        "send_when_empty",
        "is_active",
    )
    form_overrides = {
        "report_id": SelectField,
        "schedule": SelectField,
        "format": SelectField,
        "extra_recipients": TextAreaField,
    }
    form_args = {
        "report_id": {"choices": []},
        "schedule": {"choices": []},
        "format": {"choices": []},
    }

    column_formatters = {
        "report_id": lambda v, c, m, p: _report_title(m.report_id),
        "schedule": lambda v, c, m, p: _schedule_text(m),
        "format": lambda v, c, m, p: reports.FORMATS.get(m.format, m.format),
        "recipients": lambda v, c, m, p: ", ".join(_recipients(m)),
        "next_due_at": lambda v, c, m, p: _local_time(m.next_due_at),
        "last_due_at": lambda v, c, m, p: _local_time(m.last_due_at),
        "last_error": lambda v, c, m, p: error_text(m.last_error),
    }

    def _with_choices(self, form):
        from core.models.departments import Department
        from core.scoping import visible_department_ids

        form.report_id.choices = [
            (report.id, f"{report.title} ({report.id})")
            for report in reports.all_reports().values()
        ]
        form.schedule.choices = [(k, str(v)) for k, v in reports.SCHEDULES.items()]
        form.format.choices = list(reports.FORMATS.items())
        ids = visible_department_ids(current_user)
        query = db.session.query(Department).order_by(Department.path)
        if ids is not None:
            query = query.filter(Department.id.in_(ids))
        form.department.query_factory = lambda: query.all()
        form.department.query = None
        return form

    def create_form(self, obj=None):
        return self._with_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._with_choices(super().edit_form(obj))

    @staticmethod
    def _values(form) -> dict:
        return {name: getattr(form, name).data for name in reports.FIELDS}

    def create_model(self, form):
        """Create through the report service, which checks every field."""
        try:
            subscription = reports.create_subscription(
                actor_name=current_user.username, **self._values(form)
            )
            self.check_owner(subscription)
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        self.after_model_change(form, subscription, True)
        return subscription

    def update_model(self, form, model):
        """Change through the report service, which checks every field."""
        expected = getattr(form, "expected_version", None)
        if (
            expected is not None
            and expected.data
            and str(model.version) != str(expected.data)
        ):
            flash(
                _(
                    "Someone else saved this record while you were editing it. "
                    "Reload the page to see their changes, then make yours again."
                ),
                "error",
            )
            return False
        try:
            reports.update_subscription(
                model, actor_name=current_user.username, **self._values(form)
            )
            self.check_owner(model)
            db.session.commit()
        except PortalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False
        self.after_model_change(form, model, False)
        return True

    @action(
        "send_now",
        _l("Send now"),
        _l("Build and send the selected reports for their latest period now?"),
    )
    def action_send_now(self, ids):
        """Deliver the selected subscriptions at once."""
        sent = 0
        for record_id in ids:
            subscription = self.get_one(record_id)
            if subscription is None:
                continue
            try:
                reports.send_now(subscription, current_user.username)
                db.session.commit()
                sent += 1
            except Exception as error:  # noqa: BLE001 - shown to the user
                db.session.rollback()
                log.exception("sending subscription %s now failed", record_id)
                flash(
                    _(
                        "%(subscription)s could not be sent: %(error)s",
                        subscription=subscription,
                        error=error,
                    ),
                    "error",
                )
        if sent:
            flash(_("%(count)s report(s) queued for mail.", count=sent), "success")


def _report_title(report_id: str) -> str:
    report = reports.all_reports().get(report_id)
    return str(report.title) if report else report_id


def _schedule_text(subscription: ReportSubscription) -> str:
    label = str(reports.SCHEDULES.get(subscription.schedule, subscription.schedule))
    if subscription.schedule == "cron":
        return f"{label}: {subscription.cron}"
    return f"{label} {subscription.send_time}"


def _recipients(subscription: ReportSubscription) -> list[str]:
    try:
        return reports.recipients_of(subscription)
    except PortalError:
        return [subscription.extra_recipients]


class DeliveryView(PortalModelView):
    """What each subscription occurrence built and where it went."""

    view_permission = PERMISSION
    allow_create = allow_edit = False
    can_view_details = True
    column_list = (
        "subscription",
        "due_at",
        "period_start",
        "period_end",
        "outcome",
        "rows",
        "error",
    )
    column_labels = {
        "subscription": _l("Subscription"),
        "due_at": _l("Due at"),
        "period_start": _l("Period start"),
        "period_end": _l("Period end"),
        "outcome": _l("Outcome"),
        "rows": _l("Rows"),
        "error": _l("Error"),
    }
    column_filters = ("outcome",)
    column_default_sort = ("id", True)
    column_formatters = {
        "subscription": lambda v, c, m, p: (
            f"{_report_title(m.subscription.report_id)} · {m.subscription.department}"
        ),
        "due_at": lambda v, c, m, p: _local_time(m.due_at),
        "outcome": lambda v, c, m, p: badge(m.outcome, DELIVERY_OUTCOMES),
        "error": lambda v, c, m, p: error_text(m.error),
    }


class OutboxView(PortalModelView):
    """The mail outbox: what waits, what went, and what failed."""

    view_permission = edit_permission = PERMISSION
    allow_create = allow_edit = False
    column_list = (
        "id",
        "created_at",
        "state",
        "subject",
        "recipients",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    column_labels = {
        "id": "#",
        "created_at": _l("Queued at"),
        "state": _l("State"),
        "subject": _l("Subject"),
        "recipients": _l("Recipients"),
        "attempts": _l("Attempts"),
        "next_attempt_at": _l("Next attempt"),
        "sent_at": _l("Sent at"),
        "last_error": _l("Last error"),
        "origin": _l("Origin"),
        "body_text": _l("Text"),
        "message_id": _l("Message-ID"),
        "department": _l("Department"),
    }
    column_filters = ("state",)
    column_searchable_list = ("subject", "recipients")
    column_default_sort = ("id", True)
    column_details_list = (
        "id",
        "created_at",
        "state",
        "department",
        "origin",
        "subject",
        "recipients",
        "message_id",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "body_text",
    )
    column_formatters = {
        "state": lambda v, c, m, p: badge(m.state, MAIL_STATES, mail.is_stuck(m)),
        "created_at": lambda v, c, m, p: _local_time(m.created_at),
        "next_attempt_at": lambda v, c, m, p: (
            _local_time(m.next_attempt_at) if m.state == mail.QUEUED else ""
        ),
        "sent_at": lambda v, c, m, p: _local_time(m.sent_at),
        "last_error": lambda v, c, m, p: error_text(m.last_error),
        "recipients": lambda v, c, m, p: escape(", ".join(m.recipient_list)),
    }

    @action(
        "requeue",
        _l("Send again"),
        _l(
            "Send the selected failed or stuck messages again? A stuck message "
            "may then arrive twice."
        ),
    )
    def action_requeue(self, ids):
        """Queue failed or stuck messages again."""
        self._apply(ids, mail.requeue, _("%(count)s message(s) queued again."))

    @action(
        "mark_sent",
        _l("Mark sent"),
        _l("Mark the selected stuck messages as sent (you checked they arrived)?"),
    )
    def action_mark_sent(self, ids):
        """Record that stuck messages did arrive."""
        self._apply(ids, mail.mark_sent, _("%(count)s message(s) marked sent."))

    def _apply(self, ids, change, done_message: str) -> None:
        count = 0
        for record_id in ids:
            message = self.get_one(record_id)
            if message is None:
                continue
            try:
                change(message, current_user.username)
                count += 1
            except PortalError as error:
                flash(f"#{message.id}: {error}", "error")
        db.session.commit()
        if count:
            flash(done_message % {"count": count}, "success")


def register_scheduling_views(admin, category) -> None:
    """Add the scheduler, subscription and outbox views to the portal."""
    admin.add_view(
        JobsView(
            name=_l("Scheduled jobs"), category=category, endpoint="scheduler_jobs"
        )
    )
    admin.add_view(
        RunsView(name=_l("Run history"), category=category, endpoint="scheduler_runs")
    )
    admin.add_view(
        SubscriptionView(
            ReportSubscription,
            db,
            name=_l("Report subscriptions"),
            category=category,
            endpoint="report_subscriptions",
        )
    )
    admin.add_view(
        DeliveryView(
            ReportDelivery,
            db,
            name=_l("Report deliveries"),
            category=category,
            endpoint="report_deliveries",
        )
    )
    admin.add_view(
        OutboxView(
            OutboxMessage,
            db,
            name=_l("Mail outbox"),
            category=category,
            endpoint="mail_outbox",
        )
    )
