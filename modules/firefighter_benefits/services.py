"""State changes and lookups of the firefighter benefits module.

Every service validates before it writes and commits its own work, so a
refused request leaves nothing behind.
"""

import atexit
import logging
import threading
import time
from collections import Counter
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from core import audit, scoping
from core.context import current_actor
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.i18n import _, _l, select_locale
from core.models.base import utcnow
from core.models.departments import Department
from core.timeutil import today_local
from core.validators import (
    birth_date_of,
    mask_phone,
    mask_resident_id,
    validate_resident_id,
)
from modules.firefighter_benefits import gate, rules, signing
from modules.firefighter_benefits.models import (
    BenefitRule,
    Category,
    Credential,
    EnrollmentEntry,
    EnrollmentList,
    FamilyMember,
    Firefighter,
    InsurancePolicy,
    ListStatus,
    Outcome,
    PlacementRequest,
    Relation,
    RequestKind,
    Status,
    VerificationCount,
)

log = logging.getLogger(__name__)

PERSONAL_DATA = "firefighter_benefits.personal_data"

REASONS = {
    "eligible": _l("Eligible."),
    "unknown_benefit": _l("There is no such benefit."),
    "category_not_covered": _l("This category of firefighter is not covered."),
    "not_serving": _l("The person no longer serves with the fire service."),
    "not_yet_serving": _l("The person's service has not started yet."),
    "service_too_short": _l("The required full years of service are not reached."),
    "no_valid_credential": _l("There is no valid credential."),
    "unknown_credential": _l("No credential has this number."),
    "expired": _l("The credential has expired."),
    "revoked": _l("The credential has been revoked."),
    "not_yet_valid": _l("The credential is not valid yet."),
    "malformed_code": _l("The signed code is not in the right format."),
    "bad_signature": _l("The signed code's signature does not match: tampered."),
    "code_superseded": _l("The signed code is out of date: a new one was issued."),
    "unknown_venue": _l(
        "The venue is not on the registry of government-priced venues."
    ),
}

BENEFIT_LABELS = {
    "priority_service": _l("Priority service at stations, hospitals and banks"),
    "transit": _l("Free city public transport"),
    "venue": _l("Government-priced parks, museums and scenic spots"),
    "accident_insurance": _l("Accident insurance"),
    "critical_illness_insurance": _l("Critical-illness insurance"),
    "medical_insurance": _l("Medical insurance"),
    "work_injury_insurance": _l("Work-injury insurance"),
    "housing_fund": _l("Housing provident fund"),
    "hukou": _l("Hukou settlement"),
    "family_employment": _l("Family employment placement"),
    "school_enrollment": _l("Children's school enrollment"),
}

CATEGORY_LABELS = {
    Category.ESTABLISHMENT: _l("Administrative establishment"),
    Category.FULL_TIME: _l("Full-time firefighter"),
    Category.CIVILIAN_STAFF: _l("Civilian staff"),
}

INSURANCE_BENEFIT = {
    "accident": "accident_insurance",
    "critical_illness": "critical_illness_insurance",
    "medical": "medical_insurance",
    "work_injury": "work_injury_insurance",
}


# Translated sentences per (language, message), so a gate check does not reload
# the catalogue: the answer's text is the same for every check in a language.
# The key is what picks the language (core.i18n.select_locale, the app's locale
# selector, else the default) rather than flask_babel.get_locale(), which
# parses the default locale anew in every request: a sizeable share of a check.
_translated: dict[tuple, str] = {}


def _cached_text(table: dict, code) -> str:
    language = select_locale() or current_app.config.get("BABEL_DEFAULT_LOCALE")
    key = (language, id(table), code)
    text = _translated.get(key)
    if text is None:
        text = _translated[key] = str(table.get(code, code))
    return text


def reason_text(code: str) -> str:
    """The translated sentence of a reason code."""
    return _cached_text(REASONS, code)


def benefit_label(benefit: str) -> str:
    """The translated name of a benefit (the code itself for a new one)."""
    return str(BENEFIT_LABELS.get(benefit, benefit))


def _actor() -> str:
    return current_actor().name or current_actor().kind


# Rules: read from the table, cached briefly in each process.

RULES_TTL_SECONDS = 10.0
_rules_cache: dict[object, tuple[float, tuple[rules.RuleRow, ...]]] = {}


_ACTIVE_RULES = select(
    BenefitRule.benefit,
    BenefitRule.categories,
    BenefitRule.min_service_years,
    BenefitRule.section,
    BenefitRule.needs_credential,
).where(BenefitRule.is_active.is_(True))


def current_rules() -> tuple[rules.RuleRow, ...]:
    """The active benefit rules, cached for RULES_TTL_SECONDS per process."""
    key = db.engine
    cached = _rules_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < RULES_TTL_SECONDS:
        return cached[1]
    rows = tuple(
        rules.RuleRow(
            r.benefit,
            tuple(r.categories or ()),
            r.min_service_years,
            r.section,
            r.needs_credential,
        )
        for r in db.session.execute(_ACTIVE_RULES)
    )
    _rules_cache[key] = (time.monotonic(), rows)
    return rows


def invalidate_rules() -> None:
    """Forget the cached rules of this process (after an edit)."""
    _rules_cache.clear()


def seed_rules() -> int:
    """Add the notice's rules when the table is empty; returns rows added."""
    if db.session.scalar(select(func.count(BenefitRule.id))):
        return 0
    for row in rules.DEFAULT_RULES:
        db.session.add(
            BenefitRule(
                benefit=row.benefit,
                categories=list(row.categories),
                min_service_years=row.min_service_years,
                needs_credential=row.needs_credential,
                section=row.section,
            )
        )
    db.session.commit()
    invalidate_rules()
    log.info("%s seeded %s benefit rules", _actor(), len(rules.DEFAULT_RULES))
    return len(rules.DEFAULT_RULES)


def validate_rule(rule: BenefitRule) -> None:
    """Refuse a rule row naming unknown categories or negative years."""
    errors = {}
    unknown = [c for c in rule.categories or [] if c not in rules.CATEGORIES]
    if not rule.categories or unknown:
        errors["categories"] = [
            _(
                "Name one or more of: %(names)s.",
                names=", ".join(rules.CATEGORIES),
            )
        ]
    if rule.min_service_years is None or rule.min_service_years < 0:
        errors["min_service_years"] = [_("Years of service cannot be negative.")]
    if not (rule.benefit or "").strip():
        errors["benefit"] = [_("Name the benefit.")]
    if errors:
        raise InvalidInput(errors)
    invalidate_rules()


# Personal data.


def can_see_personal(user) -> bool:
    """Whether the user may see resident IDs, phones and addresses in clear."""
    return bool(user is not None and getattr(user, "is_authenticated", False)) and (
        user.can(PERSONAL_DATA)
    )


def personal_fields(record, user, what: str) -> dict:
    """Resident ID, phone and address of a record, masked unless permitted.

    An unmasked view is logged as a read in the audit log.
    """
    if can_see_personal(user):
        audit.record_read(record, what)
        return {
            "resident_id": record.resident_id,
            "phone": record.phone,
            "address": record.address,
        }
    return {
        "resident_id": mask_resident_id(record.resident_id),
        "phone": mask_phone(record.phone),
        "address": _("(hidden)") if record.address else "",
    }


# The registry.


def _department(department_id, field: str, errors: dict) -> Department | None:
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        errors[field] = [_("Choose an existing department.")]
    return department


def _check_start(service_start, resident_id: str, today: date, errors: dict) -> None:
    if service_start is None or "resident_id" in errors:
        return
    problem = rules.check_service_start(
        service_start, birth_date_of(resident_id), today
    )
    if problem == "in_future":
        errors["service_start"] = [_("The service start date lies in the future.")]
    elif problem == "before_16":
        errors["service_start"] = [
            _("The service start date is before the person's 16th birthday.")
        ]


def check_firefighter(firefighter: Firefighter, user, today: date) -> None:
    """Validate a firefighter record before it is saved; raise InvalidInput."""
    errors: dict = {}
    try:
        firefighter.resident_id = validate_resident_id(firefighter.resident_id)
    except InvalidInput as error:
        errors.update(error.errors)
    if not (firefighter.name or "").strip():
        errors["name"] = [_("Enter the name.")]
    if firefighter.category not in list(Category):
        errors["category"] = [_("Choose a category.")]
    if firefighter.service_start is None:
        errors["service_start"] = [_("Enter the service start date.")]
    _check_start(firefighter.service_start, firefighter.resident_id, today, errors)

    brigade = _department(firefighter.brigade_id, "brigade_id", errors)
    station = None
    if firefighter.station_id:
        station = _department(firefighter.station_id, "station_id", errors)
        if station and brigade and not station.is_within(brigade):
            errors["station_id"] = [_("The station must lie below the brigade.")]
    owner = station or brigade
    if owner is not None and user is not None and not scoping.can_own(user, owner):
        errors["brigade_id"] = [
            _("You may only register firefighters of your own brigade or station.")
        ]
    if "resident_id" not in errors:
        clash = db.session.scalar(
            select(Firefighter.id).where(
                Firefighter.resident_id == firefighter.resident_id,
                Firefighter.id != (firefighter.id or 0),
            )
        )
        if clash:
            errors["resident_id"] = [_("This resident ID is registered already.")]
    if firefighter.status != Status.SERVING and firefighter.status_since is None:
        errors["status_since"] = [_("Enter the date the status changed.")]
    if errors:
        raise InvalidInput(errors)


def register_firefighter(data: dict, user, today: date | None = None) -> Firefighter:
    """Add a firefighter to the registry."""
    firefighter = Firefighter(
        resident_id=data.get("resident_id", ""),
        name=(data.get("name") or "").strip(),
        category=data.get("category"),
        brigade_id=data.get("brigade_id"),
        station_id=data.get("station_id"),
        service_start=data.get("service_start"),
        status=data.get("status") or Status.SERVING,
        status_since=data.get("status_since"),
        phone=data.get("phone") or "",
        address=data.get("address") or "",
    )
    check_firefighter(firefighter, user, today or today_local())
    db.session.add(firefighter)
    db.session.commit()
    log.info("%s registered firefighter #%s", _actor(), firefighter.id)
    return firefighter


def change_status(firefighter: Firefighter, status: str, since: date) -> Firefighter:
    """Record that a firefighter left, died or was named a martyr."""
    if status not in list(Status):
        raise InvalidInput({"status": [_("Choose a status.")]})
    if since is None or since < firefighter.service_start:
        raise InvalidInput(
            {"status_since": [_("The date must be on or after the service start.")]}
        )
    firefighter.status = Status(status)
    firefighter.status_since = None if status == Status.SERVING else since
    db.session.commit()
    log.info("%s set firefighter #%s to %s", _actor(), firefighter.id, status)
    return firefighter


def check_family_member(member: FamilyMember, today: date) -> None:
    """Validate a spouse or child; the birth date comes from the resident ID."""
    errors: dict = {}
    try:
        member.resident_id = validate_resident_id(member.resident_id)
        member.birth_date = birth_date_of(member.resident_id)
        if member.birth_date > today:
            errors["resident_id"] = [_("The birth date lies in the future.")]
    except InvalidInput as error:
        errors.update(error.errors)
    if member.relation not in list(Relation):
        errors["relation"] = [_("Choose spouse or child.")]
    if not (member.name or "").strip():
        errors["name"] = [_("Enter the name.")]
    if errors:
        raise InvalidInput(errors)


def add_family_member(
    firefighter: Firefighter, data: dict, today: date | None = None
) -> FamilyMember:
    """Add a spouse or child to a firefighter's record."""
    member = FamilyMember(
        firefighter_id=firefighter.id,
        relation=data.get("relation"),
        name=(data.get("name") or "").strip(),
        resident_id=data.get("resident_id", ""),
        phone=data.get("phone") or "",
        address=data.get("address") or "",
    )
    check_family_member(member, today or today_local())
    db.session.add(member)
    db.session.commit()
    log.info(
        "%s added %s #%s to firefighter #%s",
        _actor(),
        member.relation,
        member.id,
        firefighter.id,
    )
    return member


# Credentials.


def issue_credential(
    firefighter: Firefighter, number: str, issued_on: date, expires_on: date
) -> Credential:
    """Issue a credential; its number must be new and its dates in order."""
    number = (number or "").strip().upper()
    errors = {}
    if not number or not all(c.isalnum() or c == "-" for c in number):
        errors["number"] = [_("Use letters, digits and hyphens only.")]
    elif db.session.scalar(select(Credential.id).where(Credential.number == number)):
        errors["number"] = [_("This credential number is taken.")]
    if issued_on is None or expires_on is None or expires_on < issued_on:
        errors["expires_on"] = [_("The expiry date must not precede the issue date.")]
    if firefighter.status != Status.SERVING:
        errors["firefighter_id"] = [_("Only serving firefighters get credentials.")]
    if errors:
        raise InvalidInput(errors)
    credential = Credential(
        firefighter_id=firefighter.id,
        number=number,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    db.session.add(credential)
    db.session.commit()
    log.info(
        "%s issued credential %s to firefighter #%s", _actor(), number, firefighter.id
    )
    return credential


def revoke_credential(credential: Credential, reason: str, on: date) -> Credential:
    """Revoke a credential from a date, with a reason."""
    if not (reason or "").strip():
        raise InvalidInput({"reason": [_("Give the reason for the revocation.")]})
    if credential.revoked_on is not None:
        raise RuleViolation(_("The credential is revoked already."))
    credential.revoked_on = on
    credential.revoke_reason = reason.strip()
    db.session.commit()
    log.info("%s revoked credential %s", _actor(), credential.number)
    return credential


def signed_code(credential: Credential) -> str:
    """The signed code printed on and shown for a credential."""
    return signing.sign(credential.number, credential.expires_on)


def qr_svg(credential: Credential) -> str:
    """The signed code as an SVG QR image."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(signed_code(credential), error="m").save(
        buffer, kind="svg", scale=4, border=2, xmldecl=False
    )
    return buffer.getvalue().decode()


# Eligibility.


def person_of(firefighter: Firefighter) -> rules.Person:
    """The engine's view of a firefighter."""
    return rules.Person(
        str(firefighter.category),
        firefighter.service_start,
        str(firefighter.status),
        firefighter.status_since,
    )


def has_valid_credential(firefighter: Firefighter, on: date) -> bool:
    """Whether any credential of the firefighter is valid on a date."""
    return any(
        rules.credential_state(c.issued_on, c.expires_on, c.revoked_on, on) == "valid"
        for c in firefighter.credentials
    )


def eligibility(firefighter: Firefighter, on: date) -> list[rules.Eligibility]:
    """Every benefit of the rules table for one firefighter on a date."""
    rows = current_rules()
    valid = has_valid_credential(firefighter, on)
    person = person_of(firefighter)
    benefits = dict.fromkeys(r.benefit for r in rows)
    return [rules.evaluate(person, b, list(rows), on, valid) for b in benefits]


def require_eligible(firefighter: Firefighter, benefit: str, on: date):
    """The engine's yes for a benefit, or a RuleViolation naming the reason."""
    answer = rules.evaluate(
        person_of(firefighter),
        benefit,
        list(current_rules()),
        on,
        has_valid_credential(firefighter, on),
    )
    if not answer.eligible:
        detail = reason_text(answer.reason)
        if answer.eligible_from and answer.eligible_from > on:
            detail += " " + _(
                "Eligible from %(day)s.", day=answer.eligible_from.isoformat()
            )
        raise RuleViolation(detail, article=f"section {answer.section}")
    return answer


# Verification at gates and desks.


class _CounterBuffer:
    """Check counts kept in memory and added to the table every few seconds.

    A gate check must not wait for a write, and thousands of gates bumping the
    same row would queue on its lock; the buffer turns them into one upsert per
    key and interval. The check that finds a flush due hands it to a
    background thread and answers at once. The buffer is written when the
    process exits normally (a worker's graceful stop included); a crash loses
    at most the checks of the last FLUSH_SECONDS in that process.
    """

    FLUSH_SECONDS = 5.0

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.last_flush = time.monotonic()
        self.app = None
        self.flusher: threading.Thread | None = None

    def add(self, key: tuple) -> None:
        with self.lock:
            self.counts[key] += 1
            if self.app is None:
                self.app = current_app._get_current_object()
                atexit.register(self.flush_at_exit)
            due = time.monotonic() - self.last_flush >= self.FLUSH_SECONDS
            if due and (self.flusher is None or not self.flusher.is_alive()):
                # Pushed back now so that the next checks do not start another.
                self.last_flush = time.monotonic()
                self.flusher = threading.Thread(
                    target=self._flush_in_background,
                    args=(current_app._get_current_object(),),
                    name="verification-counts",
                    daemon=True,
                )
                self.flusher.start()

    def _flush_in_background(self, app) -> None:
        try:
            with app.app_context():
                self.flush()
        except Exception:
            # flush() put the counts back for the next attempt.
            log.exception("could not write verification counts; will retry")

    def take(self) -> Counter:
        with self.lock:
            counts, self.counts = self.counts, Counter()
            self.last_flush = time.monotonic()
        return counts

    def flush(self) -> int:
        """Write the buffered counts; returns the number of checks written."""
        counts = self.take()
        if not counts:
            return 0
        table = VerificationCount.__table__
        dialect = db.engine.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        rows = [
            {
                "day": day,
                "benefit": benefit,
                "venue_kind": venue_kind,
                "eligible": eligible,
                "reason": reason,
                "count": n,
            }
            for (day, benefit, venue_kind, eligible, reason), n in sorted(
                counts.items()
            )
        ]
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=["day", "benefit", "venue_kind", "eligible", "reason"],
            set_={"count": table.c.count + statement.excluded.count},
        )
        try:
            with db.engine.begin() as connection:
                connection.execute(statement, rows)
        except Exception:
            # Keep the counts for the next flush rather than lose them.
            with self.lock:
                self.counts.update(counts)
            raise
        return sum(counts.values())

    def flush_at_exit(self) -> None:
        """Write what is left when the process exits."""
        flusher = self.flusher
        if flusher is not None:
            flusher.join(timeout=30)
        if self.app is not None and self.counts:
            with self.app.app_context():
                self.flush()


counter = _CounterBuffer()


def flush_counts() -> int:
    """Write this process's buffered verification counts now."""
    return counter.flush()


def _answer(eligible: bool, reason: str, benefit: str, **extra) -> dict:
    return {
        "eligible": eligible,
        "reason_code": reason,
        "reason": reason_text(reason),
        "benefit": benefit,
        **extra,
    }


def verify(
    benefit: str,
    number: str | None = None,
    code: str | None = None,
    venue_code: str | None = None,
    on: date | None = None,
) -> dict:
    """Answer a gate or desk: may this credential holder have this benefit now?

    The credential, its holder and the venue come from this process's gate
    registry (gate.py), not a read per check; the answer names only what the
    desk needs. The check is counted.
    """
    on = on or today_local()
    answer = _verify(benefit, number, code, venue_code, on)
    venue_kind = answer.get("venue_kind", "") if answer["benefit"] == "venue" else ""
    counter.add(
        (on, answer["benefit"], venue_kind, answer["eligible"], answer["reason_code"])
    )
    return answer


def _verify(benefit, number, code, venue_code, on) -> dict:
    if benefit not in rules.CHECKED_BENEFITS:
        return _answer(False, "unknown_benefit", "unknown")
    return _check(benefit, number, code, venue_code, on)


def _check(benefit, number, code, venue_code, on) -> dict:
    signed_expiry = None
    if code:
        checked = signing.verify(code)
        if not checked.valid:
            return _answer(False, checked.reason, benefit)
        number, signed_expiry = checked.number, checked.expires_on
    number = (number or "").strip().upper()

    registry = gate.registry_for(db.engine).ready()
    venue = None
    extra = {}
    if benefit == "venue":
        venue = registry.venue((venue_code or "").strip())
        if venue is None:
            return _answer(False, "unknown_venue", benefit)
        extra = {"venue": venue.name, "venue_kind": str(venue.kind)}

    row = registry.credential(number)
    if row is None:
        return _answer(False, "unknown_credential", benefit, **extra)
    if signed_expiry is not None and signed_expiry != row.expires_on:
        return _answer(False, "code_superseded", benefit, **extra)

    holder = {
        "credential_number": row.number,
        "holder": row.holder,
        "category": str(row.category),
        "category_label": _cached_text(CATEGORY_LABELS, row.category),
        "valid_until": row.expires_on,
        **extra,
    }
    state = rules.credential_state(row.issued_on, row.expires_on, row.revoked_on, on)
    if state != "valid":
        return _answer(False, state, benefit, **holder)

    person = rules.Person(
        str(row.category), row.service_start, str(row.status), row.status_since
    )
    result = rules.evaluate(person, benefit, current_rules(), on, True)
    if not result.eligible:
        return _answer(False, result.reason, benefit, section=result.section, **holder)
    if venue is not None:
        holder["fee_treatment"] = str(venue.treatment)
        holder["fee_note"] = venue.military_rate_note
    return _answer(True, "eligible", benefit, section=result.section, **holder)


# School enrollment (section 2(3)3).


def enrollment_list(brigade: Department, year: int) -> EnrollmentList:
    """The brigade's list of a year, created as a draft when missing."""
    found = db.session.scalars(
        select(EnrollmentList).where(
            EnrollmentList.brigade_id == brigade.id, EnrollmentList.year == year
        )
    ).first()
    if found is None:
        found = EnrollmentList(brigade_id=brigade.id, year=year)
        db.session.add(found)
        db.session.flush()
    return found


def add_to_enrollment(
    child: FamilyMember,
    year: int,
    today: date,
    user,
    exception_reason: str = "",
) -> EnrollmentEntry:
    """Put a child on a brigade's list; late names go to next year's list.

    After 31 March a name goes to the next year's list unless an administrator
    records an exception with a reason (section 2(3)3, RULES.md decision).
    """
    exception_reason = (exception_reason or "").strip()
    if exception_reason and not user.can("firefighter_benefits.admin"):
        raise Forbidden(_("Only an administrator may record an exception."))
    if child.relation != Relation.CHILD:
        raise InvalidInput({"child_id": [_("Only children go on the school list.")]})

    target = rules.enrollment_year_for(year, today, bool(exception_reason))
    stage = rules.school_stage(child.birth_date, target)
    if stage is None:
        raise RuleViolation(
            _("The child is not of school-entry age in %(year)s.", year=target),
            article="section 2(3)3",
        )
    firefighter = child.firefighter
    require_eligible(firefighter, "school_enrollment", rules.list_due_date(target))

    the_list = enrollment_list(firefighter.brigade, target)
    late = today > rules.list_due_date(target)
    if the_list.status != ListStatus.DRAFT and not exception_reason:
        raise RuleViolation(
            _(
                "The %(year)s list is confirmed; only an exception can add to it.",
                year=target,
            ),
            article="section 2(3)3",
        )
    if any(e.child_id == child.id for e in the_list.entries):
        raise RuleViolation(_("The child is on this list already."))
    entry = EnrollmentEntry(
        enrollment_list=the_list,
        child_id=child.id,
        stage=stage,
        added_on=today,
        exception_reason=exception_reason
        if (late or the_list.status != "draft")
        else "",
        exception_by_id=user.id if exception_reason else None,
    )
    if the_list.status != ListStatus.DRAFT:
        # An exception reopens the list: the political department confirms again.
        the_list.status = ListStatus.DRAFT
        the_list.confirmed_at = None
        the_list.confirmed_by_id = None
    db.session.add(entry)
    db.session.commit()
    log.info(
        "%s put child #%s on the %s list of brigade #%s",
        _actor(),
        child.id,
        target,
        the_list.brigade_id,
    )
    return entry


def fill_enrollment_list(the_list: EnrollmentList, today: date) -> int:
    """Add every eligible child of school-entry age not yet on a draft list."""
    if the_list.status != ListStatus.DRAFT:
        return 0
    due = rules.list_due_date(the_list.year)
    present = {e.child_id for e in the_list.entries}
    children = db.session.scalars(
        select(FamilyMember)
        .join(Firefighter)
        .where(
            Firefighter.brigade_id == the_list.brigade_id,
            FamilyMember.relation == Relation.CHILD,
        )
    ).all()
    rows = list(current_rules())
    added = 0
    for child in children:
        if child.id in present:
            continue
        stage = rules.school_stage(child.birth_date, the_list.year)
        if stage is None:
            continue
        ruling = rules.evaluate(
            person_of(child.firefighter), "school_enrollment", rows, due, None
        )
        if not ruling.eligible:
            continue
        db.session.add(
            EnrollmentEntry(
                enrollment_list=the_list, child_id=child.id, stage=stage, added_on=today
            )
        )
        added += 1
    db.session.commit()
    return added


def confirm_list(the_list: EnrollmentList, user) -> EnrollmentList:
    """The brigade's political department checks and confirms the list."""
    if not user.can("firefighter_benefits.confirm_enrollment"):
        raise Forbidden(_("Only the brigade's political department confirms lists."))
    if the_list.status != ListStatus.DRAFT:
        raise RuleViolation(_("The list is confirmed already."))
    if not the_list.entries:
        raise RuleViolation(_("An empty list cannot be confirmed."))
    the_list.status = ListStatus.CONFIRMED
    the_list.confirmed_by_id = user.id
    the_list.confirmed_at = utcnow()
    db.session.commit()
    log.info("%s confirmed enrollment list #%s", _actor(), the_list.id)
    return the_list


def mark_delivered(the_list: EnrollmentList) -> EnrollmentList:
    """Record that the confirmed list went to the education department."""
    if the_list.status != ListStatus.CONFIRMED:
        raise RuleViolation(
            _("Only a confirmed list goes to the education department."),
            article="section 2(3)3",
        )
    the_list.status = ListStatus.DELIVERED
    the_list.delivered_at = utcnow()
    db.session.commit()
    log.info("%s delivered enrollment list #%s", _actor(), the_list.id)
    return the_list


def brigades() -> list[Department]:
    """Departments that hold registered firefighters as their brigade."""
    ids = select(Firefighter.brigade_id).distinct()
    return list(db.session.scalars(select(Department).where(Department.id.in_(ids))))


def prepare_lists(today: date) -> list[EnrollmentList]:
    """From 1 March to 31 March: draft and fill each brigade's list, and remind."""
    year = today.year
    if not rules.reminder_start(year) <= today <= rules.list_due_date(year):
        return []
    touched = []
    for brigade in brigades():
        the_list = enrollment_list(brigade, year)
        if the_list.status != ListStatus.DRAFT:
            continue
        fill_enrollment_list(the_list, today)
        the_list.reminded_on = today
        db.session.commit()
        touched.append(the_list)
        log.warning(
            "enrollment list %s of %s awaits confirmation; due %s",
            year,
            brigade.name,
            rules.list_due_date(year),
        )
    return touched


# Hukou settlement and family employment placement (2(3)1, 2(3)2).


def file_request(
    firefighter: Firefighter,
    kind: str,
    filed_on: date,
    family_member: FamilyMember | None = None,
) -> PlacementRequest:
    """File a request after the engine confirms the firefighter qualifies."""
    if kind not in list(RequestKind):
        raise InvalidInput({"kind": [_("Choose hukou or family employment.")]})
    if family_member is not None and family_member.firefighter_id != firefighter.id:
        raise InvalidInput(
            {"family_member_id": [_("The person is not in this firefighter's family.")]}
        )
    if kind == RequestKind.FAMILY_EMPLOYMENT and (
        family_member is None or family_member.relation != Relation.SPOUSE
    ):
        raise InvalidInput(
            {"family_member_id": [_("Family employment is for the spouse.")]}
        )
    answer = require_eligible(firefighter, str(kind), filed_on)
    request = PlacementRequest(
        firefighter_id=firefighter.id,
        family_member_id=family_member.id if family_member else None,
        kind=kind,
        filed_on=filed_on,
        eligibility_reason=f"{reason_text(answer.reason)} ({answer.section})",
    )
    db.session.add(request)
    db.session.commit()
    log.info("%s filed %s request #%s", _actor(), kind, request.id)
    return request


def record_outcome(
    request: PlacementRequest, outcome: str, on: date, note: str = ""
) -> PlacementRequest:
    """Record whether the police or the employer granted the request."""
    if outcome not in (Outcome.GRANTED, Outcome.REFUSED):
        raise InvalidInput({"outcome": [_("Choose granted or refused.")]})
    if request.outcome != Outcome.PENDING:
        raise RuleViolation(_("The outcome is recorded already."))
    if on < request.filed_on:
        raise InvalidInput({"outcome_on": [_("The date precedes the filing.")]})
    request.outcome = Outcome(outcome)
    request.outcome_on = on
    request.outcome_note = (note or "").strip()
    db.session.commit()
    log.info("%s recorded %s on request #%s", _actor(), outcome, request.id)
    return request


# Records kept for finance and the brigade.


def check_insurance(policy: InsurancePolicy) -> None:
    """Refuse a policy the person is not covered for, or with bad dates."""
    errors = {}
    if policy.starts_on and policy.ends_on and policy.ends_on < policy.starts_on:
        errors["ends_on"] = [_("The end date must not precede the start date.")]
    if policy.premium_fen is not None and policy.premium_fen < 0:
        errors["premium_fen"] = [_("The premium cannot be negative.")]
    if errors:
        raise InvalidInput(errors)
    firefighter = db.session.get(Firefighter, policy.firefighter_id)
    if firefighter is None:
        raise InvalidInput({"firefighter_id": [_("Choose a registered firefighter.")]})
    require_eligible(firefighter, INSURANCE_BENEFIT[str(policy.kind)], policy.starts_on)
