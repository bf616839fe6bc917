"""State changes of the inspection system: load (scoped), apply rules, save.

Services flush but do not commit; the caller (API view, portal view, job)
commits, so one request is one transaction and a refusal writes nothing.
"""

import json
import logging
import sys
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import chain, groupby
from operator import itemgetter

from sqlalchemy import (
    Integer,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql

from core import calendar, mail
from core.context import current_actor
from core.dashboard import DueItem
from core.directory import add_credit_record, create_organisation
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.i18n import _
from core.models.departments import Department, subtree_ids
from core.models.organisations import CreditKind, Organisation
from core.scoping import can_own, get_visible, scope
from core.validators import validate_uscc
from modules.dual_random import rules
from modules.dual_random.models import (
    CheckItem,
    ConflictOfInterest,
    DepartmentSetting,
    Draw,
    Inspector,
    Outcome,
    Plan,
    PlanKind,
    PlanStatus,
    Reminder,
    Result,
    RiskLevel,
    Stratum,
    Target,
    Task,
    TaskKind,
    TaskStatus,
)

log = logging.getLogger(__name__)

MODULE = "dual_random"


def _actor() -> str:
    return current_actor().name or current_actor().kind


def refuse(error: rules.RuleError):
    """Turn a rule's refusal into the portal's bad-input error."""
    message = _(error.message, **error.values)
    return InvalidInput({error.field or "rule": [message]}, detail=message)


def _department(user, department_id) -> Department:
    """A department the user may file records for."""
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        raise InvalidInput({"department_id": [_("Choose an existing department.")]})
    if not can_own(user, department):
        raise Forbidden(
            _(
                "You may only file records for your own department "
                "and the departments below it."
            )
        )
    return department


def _required(data: dict, *names: str) -> None:
    missing = {
        n: [_("This field is required.")]
        for n in names
        if data.get(n) in (None, "", [])
    }
    if missing:
        raise InvalidInput(missing)


# -- Item list (task 3) --------------------------------------------------------


ITEM_FIELDS = (
    "item",
    "sub_item",
    "legal_basis",
    "inspecting_body",
    "target_type",
    "sampling_ratio",
    "frequency_per_year",
    "method",
    "qualification",
    "is_key",
    "is_active",
)


def save_check_item(user, data: dict, item_id: int | None = None) -> CheckItem:
    """Add or change a line of a department's spot-check item list."""
    if item_id is None:
        _required(data, "item", "method", "sampling_ratio")
    if "sampling_ratio" in data:
        try:
            rules.check_ratio(data["sampling_ratio"])
        except rules.RuleError as error:
            raise refuse(error) from None
    if item_id is None:
        department = _department(user, data.get("department_id"))
        item = CheckItem(department=department)
        db.session.add(item)
    else:
        item = get_visible(CheckItem, item_id, user)
    for name in ITEM_FIELDS:
        if name in data:
            setattr(item, name, data[name])
    db.session.flush()
    log.info("%s saved check item #%s (%s)", _actor(), item.id, item.item)
    return item


@dataclass(frozen=True)
class KeyShare:
    """The key items of a department's list against its limit (task 3)."""

    key_items: int
    total_items: int
    share: Decimal
    limit: Decimal

    @property
    def within_limit(self) -> bool:
        """Whether the share is at most the limit."""
        return rules.key_share_within_limit(
            self.key_items, self.total_items, self.limit
        )


def key_share_limit(department_id: int) -> Decimal:
    """The department's limit on the share of key items (default 20%)."""
    setting = db.session.scalars(
        select(DepartmentSetting).where(
            DepartmentSetting.department_id == department_id
        )
    ).first()
    return setting.key_share_limit if setting else Decimal("0.2")


def set_key_share_limit(user, department_id: int, limit: Decimal) -> DepartmentSetting:
    """Set the department's limit on the share of key items."""
    department = _department(user, department_id)
    try:
        rules.check_ratio(limit, field="key_share_limit")
    except rules.RuleError as error:
        raise refuse(error) from None
    setting = db.session.scalars(
        select(DepartmentSetting).where(
            DepartmentSetting.department_id == department.id
        )
    ).first()
    if setting is None:
        setting = DepartmentSetting(department=department)
        db.session.add(setting)
    setting.key_share_limit = Decimal(limit)
    db.session.flush()
    log.info("%s set key share limit of %s to %s", _actor(), department.name, limit)
    return setting


def key_share_of(department_id: int) -> KeyShare:
    """The department's key-item share against its limit."""
    active = select(func.count(CheckItem.id)).where(
        CheckItem.department_id == department_id, CheckItem.is_active.is_(True)
    )
    total = db.session.scalar(active)
    key = db.session.scalar(active.where(CheckItem.is_key.is_(True)))
    return KeyShare(
        key, total, rules.key_share(key, total), key_share_limit(department_id)
    )


# -- Registries (task 4) -------------------------------------------------------


TARGET_FIELDS = (
    "name",
    "uscc",
    "target_type",
    "industry",
    "address",
    "risk_level",
    "credit_rating",
    "is_active",
)


def _apply_target(target: Target, data: dict) -> None:
    for name in TARGET_FIELDS:
        if name in data:
            setattr(target, name, data[name])
    if target.uscc:
        target.uscc = validate_uscc(target.uscc)
    else:
        target.uscc = None


def create_target(user, data: dict) -> Target:
    """Add a target: a core organisation or another market entity."""
    department = _department(user, data.get("department_id"))
    data = dict(data)
    if data.get("organisation_id"):
        organisation = get_visible(Organisation, data["organisation_id"], user)
        data.setdefault("name", organisation.name)
        data.setdefault("uscc", organisation.uscc)
        data.setdefault("industry", organisation.industry)
        data.setdefault("address", organisation.address)
        data.setdefault("county_id", organisation.county_id)
    else:
        organisation = None
    _required(data, "name", "county_id")
    if data.get("uscc"):
        validate_uscc(data["uscc"])
    county = db.session.get(Department, data["county_id"])
    if county is None:
        raise InvalidInput({"county_id": [_("Choose an existing county.")]})
    target = Target(department=department, county=county, organisation=organisation)
    _apply_target(target, data)
    db.session.add(target)
    db.session.flush()
    log.info("%s added target #%s (%s)", _actor(), target.id, target.name)
    return target


def update_target(user, target_id: int, data: dict) -> Target:
    """Change a target's own fields."""
    target = get_visible(Target, target_id, user)
    if data.get("uscc"):
        validate_uscc(data["uscc"])
    _apply_target(target, data)
    db.session.flush()
    log.info("%s updated target #%s", _actor(), target.id)
    return target


def create_inspector(user, data: dict) -> Inspector:
    """Add a law-enforcement inspector to a department's registry."""
    department = _department(user, data.get("department_id"))
    _required(data, "name", "certificate_no")
    taken = db.session.scalars(
        select(Inspector.id).where(Inspector.certificate_no == data["certificate_no"])
    ).first()
    if taken:
        raise InvalidInput(
            {
                "certificate_no": [
                    _(
                        "An inspector with certificate %(no)s exists.",
                        no=data["certificate_no"],
                    )
                ]
            }
        )
    inspector = Inspector(
        department=department,
        name=data["name"],
        certificate_no=data["certificate_no"],
        qualifications=",".join(_qualifications(data.get("qualifications", ""))),
        is_active=data.get("is_active", True),
    )
    db.session.add(inspector)
    db.session.flush()
    log.info("%s added inspector #%s (%s)", _actor(), inspector.id, inspector.name)
    return inspector


def _qualifications(value) -> list[str]:
    if isinstance(value, list | tuple):
        parts = value
    else:
        parts = str(value or "").replace("，", ",").split(",")
    return sorted({p.strip() for p in parts if p and p.strip()})


def declare_conflict(user, inspector_id: int, target_id: int, reason: str):
    """Record an inspector's declared conflict of interest with a target."""
    inspector = get_visible(Inspector, inspector_id, user)
    target = db.session.get(Target, target_id)
    if target is None:
        raise InvalidInput({"target_id": [_("Choose an existing target.")]})
    existing = db.session.scalars(
        select(ConflictOfInterest).where(
            ConflictOfInterest.inspector_id == inspector.id,
            ConflictOfInterest.target_id == target.id,
        )
    ).first()
    if existing:
        return existing
    conflict = ConflictOfInterest(inspector=inspector, target=target, reason=reason)
    db.session.add(conflict)
    db.session.flush()
    log.info(
        "%s recorded conflict of inspector #%s with target #%s",
        _actor(),
        inspector.id,
        target.id,
    )
    return conflict


# -- Plans (tasks 6, 7) --------------------------------------------------------


def create_plan(user, data: dict) -> Plan:
    """Draft a department plan (task 6) or a joint annual plan (task 7)."""
    _required(data, "kind", "year", "title")
    department = _department(user, data.get("department_id"))
    # The departments a plan goes to need not be the user's own, but they must
    # exist: a plan sent to nobody would wait for an approval that never comes.
    unknown = {
        name: [_("Choose an existing department.")]
        for name in ("lead_department_id", "filed_with_id")
        if data.get(name) is not None and db.session.get(Department, data[name]) is None
    }
    if unknown:
        raise InvalidInput(unknown)
    kind = PlanKind(data["kind"])
    year = int(data["year"])
    exists = db.session.scalars(
        select(Plan.id).where(
            Plan.department_id == department.id, Plan.kind == kind, Plan.year == year
        )
    ).first()
    if exists:
        raise InvalidInput(
            {
                "year": [
                    _(
                        "This department already has a plan of that kind for %(year)s.",
                        year=year,
                    )
                ]
            }
        )
    due = (
        rules.department_plan_due(year)
        if kind == PlanKind.DEPARTMENT
        else rules.joint_plan_due(year)
    )
    plan = Plan(
        department=department,
        kind=kind,
        year=year,
        title=data["title"],
        content=data.get("content", ""),
        due_on=due,
        lead_department_id=data.get("lead_department_id"),
        filed_with_id=data.get("filed_with_id"),
    )
    db.session.add(plan)
    db.session.flush()
    log.info("%s drafted %s plan #%s for %s", _actor(), kind.value, plan.id, year)
    return plan


def submit_plan(user, plan_id: int, on: date) -> Plan:
    """task 6: a department sends its plan to the lead department of its level."""
    plan = get_visible(Plan, plan_id, user)
    if plan.kind != PlanKind.DEPARTMENT or plan.status != PlanStatus.DRAFT:
        raise RuleViolation(
            _("Only a draft department plan can be submitted."), article="task 6"
        )
    if plan.lead_department_id is None:
        raise InvalidInput(
            {"lead_department_id": [_("Name the lead department the plan goes to.")]}
        )
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_on = on
    db.session.flush()
    log.info("%s submitted plan #%s", _actor(), plan.id)
    return plan


def approve_plan(user, plan_id: int, on: date) -> Plan:
    """task 7: the government of the level agrees to the joint plan."""
    plan = get_visible(Plan, plan_id, user)
    if plan.kind != PlanKind.JOINT or plan.status != PlanStatus.DRAFT:
        raise RuleViolation(
            _("Only a draft joint plan can be approved."), article="task 7"
        )
    plan.status = PlanStatus.APPROVED
    plan.approved_on = on
    db.session.flush()
    log.info("%s recorded approval of plan #%s", _actor(), plan.id)
    return plan


def publish_plan(user, plan_id: int, on: date) -> Plan:
    """task 7: publish the approved joint plan and file it with the level above."""
    plan = get_visible(Plan, plan_id, user)
    if plan.kind != PlanKind.JOINT or plan.status != PlanStatus.APPROVED:
        raise RuleViolation(
            _(
                "A joint plan is published only after the government of its "
                "level has approved it."
            ),
            article="task 7",
        )
    if plan.filed_with_id is None:
        raise InvalidInput(
            {"filed_with_id": [_("Name the lead department of the level above.")]}
        )
    plan.status = PlanStatus.PUBLISHED
    plan.published_on = on
    plan.filed_on = on
    db.session.flush()
    log.info("%s published plan #%s", _actor(), plan.id)
    return plan


# -- Tasks (task 8) ------------------------------------------------------------


def create_task(user, data: dict) -> Task:
    """Set up a task: items, departments, population and sample."""
    _required(data, "title", "item_ids")
    department = _department(user, data.get("department_id"))
    kind = TaskKind(data.get("kind") or TaskKind.RANDOM)
    errors = {}

    items = list(
        db.session.scalars(select(CheckItem).where(CheckItem.id.in_(data["item_ids"])))
    )
    if len(items) != len(set(data["item_ids"])):
        errors["item_ids"] = [_("Choose existing spot-check items.")]
    participants = [department]
    for department_id in data.get("participant_ids") or []:
        other = db.session.get(Department, department_id)
        if other is None:
            errors["participant_ids"] = [_("Choose existing departments.")]
        elif other not in participants:
            participants.append(other)
    owners = {i.department_id for i in items}
    strangers = [d.name for d in participants if d.id not in owners]
    if items and strangers:
        errors["participant_ids"] = [
            _(
                "Each department taking part checks items of its own list; "
                "%(names)s has none in this task.",
                names="、".join(strangers),
            )
        ]
    foreign = [i for i in items if i.department_id not in {d.id for d in participants}]
    if foreign:
        errors["item_ids"] = [_("Every item must belong to a department taking part.")]

    count, ratio = data.get("sample_count"), data.get("sample_ratio")
    if kind == TaskKind.RANDOM:
        if (count is None) == (ratio is None):
            errors["sample_count"] = [
                _("Give either a sample count or a sample ratio.")
            ]
        elif ratio is not None:
            try:
                rules.check_ratio(ratio)
            except rules.RuleError as error:
                errors["sample_ratio"] = [_(error.message)]
        elif count < 1:
            errors["sample_count"] = [_("The sample must hold at least one target.")]
    elif not data.get("reason"):
        errors["reason"] = [
            _("Say why this inspection is made outside the random draw.")
        ]
    per_target = data.get("inspectors_per_target") or rules.MIN_INSPECTORS_PER_TARGET
    if per_target < rules.MIN_INSPECTORS_PER_TARGET:
        errors["inspectors_per_target"] = [
            _("Every target needs at least two inspectors.")
        ]
    plan_id, county_id = data.get("plan_id"), data.get("filter_county_id")
    if plan_id is not None and db.session.get(Plan, plan_id) is None:
        errors["plan_id"] = [_("Choose an existing plan.")]
    if county_id is not None and db.session.get(Department, county_id) is None:
        errors["filter_county_id"] = [_("Choose an existing department.")]
    if errors:
        raise InvalidInput(errors)

    task = Task(
        department=department,
        title=data["title"],
        kind=kind,
        plan_id=plan_id,
        filter_county_id=county_id,
        filter_target_type=data.get("filter_target_type") or "",
        filter_industry=data.get("filter_industry") or "",
        filter_risk_level=data.get("filter_risk_level"),
        sample_count=count,
        sample_ratio=ratio,
        stratify_by=Stratum(data.get("stratify_by") or Stratum.NONE),
        inspectors_per_target=per_target,
        reason=data.get("reason") or "",
        starts_on=data.get("starts_on"),
        items=items,
        participants=participants,
    )
    db.session.add(task)
    db.session.flush()
    log.info("%s created task #%s (%s)", _actor(), task.id, task.title)
    return task


def population_query(task: Task, columns):
    """A SELECT of `columns` over the task's population, in no set order."""
    statement = select(*columns).where(
        Target.is_active.is_(True),
        Target.department_id.in_([d.id for d in task.departments]),
    )
    if task.filter_county_id:
        county = db.session.get(Department, task.filter_county_id)
        statement = statement.where(Target.county_id.in_(subtree_ids(county)))
    if task.filter_target_type:
        statement = statement.where(Target.target_type == task.filter_target_type)
    if task.filter_industry:
        statement = statement.where(Target.industry == task.filter_industry)
    if task.filter_risk_level:
        statement = statement.where(Target.risk_level == task.filter_risk_level)
    return statement


def _ids_text():
    """The ids of a group as one text "1,2,3"."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.string_agg(cast(Target.id, Text), literal_column("','"))
    return func.group_concat(Target.id)


def _strata(task: Task) -> list[tuple[str, array]]:
    """The candidates per stratum in id order, the strata in key order.

    Each stratum's ids come back as one text, not as a row per target: a
    million rows cost the driver and Python most of a draw's time, one text
    parsed as JSON a fraction of it. The order is set here, not by the query.
    """
    if task.stratify_by == Stratum.NONE:
        groups = [("", db.session.scalar(population_query(task, [_ids_text()])))]
    else:
        column = (
            Target.county_id
            if task.stratify_by == Stratum.COUNTY
            else Target.risk_level
        )
        statement = population_query(task, [column, _ids_text()]).group_by(column)
        groups = [
            (key.value if isinstance(key, RiskLevel) else str(key), text)
            for key, text in db.session.execute(statement)
        ]
    strata = []
    for key, text in sorted(groups, key=lambda group: group[0]):
        ids = json.loads(f"[{text or ''}]")
        ids.sort()
        strata.append((key, array("q", ids)))
    return strata


def _pack(header, ids) -> bytes:
    """A JSON header, a newline and the ids as 64-bit little-endian integers, zipped."""
    body = ids if isinstance(ids, array) and ids.typecode == "q" else array("q", ids)
    if sys.byteorder != "little":
        body = array("q", body)
        body.byteswap()
    packer = zlib.compressobj(1)
    return (
        packer.compress(json.dumps(header).encode() + b"\n")
        + packer.compress(body)
        + packer.flush()
    )


def _unpack(blob: bytes) -> tuple[object, array]:
    """The header and the ids back from `_pack`."""
    header, _, body = zlib.decompress(blob).partition(b"\n")
    ids = array("q")
    ids.frombytes(body)
    if sys.byteorder != "little":
        ids.byteswap()
    return json.loads(header), ids


def encode_snapshot(strata: Sequence[tuple[str, Sequence[int]]]) -> bytes:
    """Lists of ids under their keys as one compact value.

    The header holds [key, count] per list; the format of a draw's frozen
    candidate list (its strata) and of its drawn list (runs of one stratum, in
    draw order).
    """
    header = [[key, len(ids)] for key, ids in strata]
    if len(strata) == 1:
        return _pack(header, strata[0][1])
    body = array("q")
    for _key, ids in strata:
        body.extend(ids)
    return _pack(header, body)


def decode_snapshot(blob: bytes) -> list[tuple[str, list[int]]]:
    """The keys and their lists of ids back from `encode_snapshot`."""
    header, ids = _unpack(blob)
    strata, position = [], 0
    for key, count in header:
        strata.append((key, ids[position : position + count].tolist()))
        position += count
    return strata


def encode_assignments(
    targets: Sequence[int],
    matched: dict[int, list[tuple[int, int]]],
    per_department: dict[int, int],
) -> bytes:
    """A draw's matched inspectors as one compact value.

    Every target has the same seats (`per_department`, in order): the header
    names each seat's department, the ids are each target's inspectors seat
    by seat, the targets in draw order.
    """
    layout = [d for d, need in per_department.items() for _ in range(need)]
    inspectors = array("q", [i for t in targets for i, _d in matched[t]])
    if len(inspectors) != len(layout) * len(targets):
        raise ValueError("every target must fill the same seats")
    return _pack(layout, inspectors)


def id_in(column, ids: Sequence[int]):
    """`column IN ids` with the ids bound as one value, however many they are."""
    ids = [int(i) for i in ids]
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(Integer)))
    each = func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(select(each.c.value))


def _eligible_pools(task: Task) -> dict[int, list[int]]:
    """Active inspectors of each department holding its items' qualifications."""
    pools = {}
    for department in task.departments:
        required = frozenset(
            i.qualification
            for i in task.items
            if i.department_id == department.id and i.qualification
        )
        eligibility = rules.Eligibility(required)
        rows = db.session.execute(
            select(Inspector.id, Inspector.qualifications).where(
                Inspector.department_id == department.id,
                Inspector.is_active.is_(True),
            )
        )
        pools[department.id] = [
            inspector_id
            for inspector_id, quals in rows
            if eligibility.admits(
                True, frozenset(q.strip() for q in quals.split(",") if q.strip())
            )
        ]
    return pools


def _check_pools(task: Task, pools: dict[int, list[int]]) -> dict[int, int]:
    per_department = rules.seats(
        [d.id for d in task.departments], task.inspectors_per_target
    )
    for department in task.departments:
        need, have = per_department[department.id], len(pools[department.id])
        if have < need:
            message = _(
                "%(department)s has %(have)s active inspectors holding the items' "
                "qualifications; each target needs %(need)s of them.",
                department=department.name,
                have=have,
                need=need,
            )
            raise InvalidInput({"inspectors": [message]}, detail=message)
    return per_department


def draw_targets(user, task_id: int, reason: str = "", seed: str | None = None) -> Draw:
    """Draw the task's targets (task 8); a second draw is a new recorded event."""
    task = get_visible(Task, task_id, user)
    if task.kind != TaskKind.RANDOM:
        raise RuleViolation(
            _("Complaint-driven and special-field tasks are not drawn."),
            article="tasks 12, 13",
        )
    if task.status not in (TaskStatus.DRAFT, TaskStatus.DRAWN, TaskStatus.MATCHED):
        raise RuleViolation(
            _("The draw of a completed task cannot be changed."), article="task 8"
        )
    if task.draws and not reason.strip():
        raise InvalidInput(
            {"reason": [_("A new draw replaces a recorded one: give the reason.")]}
        )
    _check_pools(task, _eligible_pools(task))

    strata = _strata(task)
    seed = seed or rules.new_seed()
    try:
        drawn = rules.draw(strata, task.sample_count, task.sample_ratio, seed)
    except rules.RuleError as error:
        raise refuse(error) from None
    candidates = (
        strata[0][1]
        if len(strata) == 1
        else array("q", sorted(chain.from_iterable(ids for _, ids in strata)))
    )

    record = Draw(
        task=task,
        sequence=len(task.draws) + 1,
        algorithm=rules.ALGORITHM,
        seed=seed,
        fingerprint=rules.fingerprint(candidates),
        population_size=len(candidates),
        sample_size=len(drawn),
        parameters=draw_parameters(task),
        snapshot=encode_snapshot(strata),
        drawn=encode_snapshot(
            [
                (key, [target for target, _key in run])
                for key, run in groupby(drawn, key=itemgetter(1))
            ]
        ),
        reason=reason.strip(),
        drawn_by=_actor(),
    )
    db.session.add(record)
    task.status = TaskStatus.DRAWN
    db.session.flush()
    log.info(
        "%s drew %s of %s targets for task #%s (draw %s, seed %s)",
        _actor(),
        record.sample_size,
        record.population_size,
        task.id,
        record.sequence,
        seed,
    )
    return record


def draw_parameters(task: Task) -> dict:
    """The task's population filters and sample, as published with a draw."""
    return {
        "departments": [d.id for d in task.departments],
        "filter_county_id": task.filter_county_id,
        "filter_target_type": task.filter_target_type,
        "filter_industry": task.filter_industry,
        "filter_risk_level": task.filter_risk_level.value
        if task.filter_risk_level
        else None,
        "sample_count": task.sample_count,
        "sample_ratio": str(task.sample_ratio) if task.sample_ratio else None,
        "stratify_by": task.stratify_by.value,
    }


def assign_targets(user, task_id: int, target_ids: list[int]) -> Draw:
    """Name the targets of a complaint-driven or special-field task (tasks 12, 13)."""
    task = get_visible(Task, task_id, user)
    if task.kind == TaskKind.RANDOM:
        raise RuleViolation(
            _("The targets of a random task come from its draw."), article="task 8"
        )
    if task.status not in (TaskStatus.DRAFT, TaskStatus.DRAWN, TaskStatus.MATCHED):
        raise RuleViolation(_("The task is completed."), article="task 8")
    ids = sorted(set(target_ids or []))
    found = set(db.session.scalars(select(Target.id).where(Target.id.in_(ids))))
    if not ids or found != set(ids):
        raise InvalidInput({"target_ids": [_("Choose existing targets.")]})
    _check_pools(task, _eligible_pools(task))
    record = Draw(
        task=task,
        sequence=len(task.draws) + 1,
        algorithm="none",
        seed="",
        fingerprint=rules.fingerprint(ids),
        population_size=len(ids),
        sample_size=len(ids),
        parameters={"kind": task.kind.value, "reason": task.reason},
        snapshot=encode_snapshot([("", ids)]),
        drawn=encode_snapshot([("", ids)]),
        reason=task.reason,
        drawn_by=_actor(),
    )
    db.session.add(record)
    task.status = TaskStatus.DRAWN
    db.session.flush()
    log.info("%s named %s targets for task #%s", _actor(), len(ids), task.id)
    return record


def drawn_ids(record: Draw) -> list[int]:
    """The targets of a draw in draw order."""
    return list(chain.from_iterable(ids for _, ids in decode_snapshot(record.drawn)))


def match_inspectors(user, task_id: int) -> Draw:
    """Match inspectors to the current draw's targets at random (task 8)."""
    task = get_visible(Task, task_id, user)
    record = task.current_draw
    if record is None or task.status != TaskStatus.DRAWN:
        raise RuleViolation(
            _("Inspectors are matched once the targets are drawn, and only once."),
            article="task 8",
        )
    pools = _eligible_pools(task)
    per_department = _check_pools(task, pools)
    targets = drawn_ids(record)
    conflicts = _conflicts_of(targets, pools)
    seed = record.seed or rules.new_seed()
    try:
        matched = rules.match(targets, pools, conflicts, per_department, seed)
    except rules.RuleError as error:
        raise refuse(error) from None

    record.assignments = encode_assignments(targets, matched, per_department)
    record.seed = seed
    record.match_input = {
        "pools": {str(k): v for k, v in pools.items()},
        "seats": {str(k): v for k, v in per_department.items()},
        "conflicts": sorted([i, t] for i, t in conflicts),
    }
    record.matched_at = _now()
    task.status = TaskStatus.MATCHED
    db.session.flush()
    log.info(
        "%s matched %s inspectors each to %s targets of task #%s",
        _actor(),
        sum(per_department.values()),
        len(targets),
        task.id,
    )
    return record


def _now():
    from core.models.base import utcnow

    return utcnow()


def _conflicts_of(
    targets: Sequence[int], pools: dict[int, list[int]]
) -> set[tuple[int, int]]:
    """Declared conflicts of the departments' inspectors with the drawn targets."""
    drawn = set(targets)
    rows = db.session.execute(
        select(ConflictOfInterest.inspector_id, ConflictOfInterest.target_id)
        .join(Inspector, Inspector.id == ConflictOfInterest.inspector_id)
        .where(Inspector.department_id.in_(list(pools)))
    )
    return {(i, t) for i, t in rows if t in drawn}


def assignments_of(record: Draw) -> dict[int, list[tuple[int, int]]]:
    """target id -> [(inspector id, department id)] of a draw, in draw order."""
    if record.assignments is None:
        return {}
    layout, inspectors = _unpack(record.assignments)
    seats, flat, targets = len(layout), inspectors.tolist(), drawn_ids(record)
    if len(flat) != seats * len(targets):
        raise ValueError(f"the assignments of draw #{record.id} do not fit its targets")
    return {
        target: list(zip(flat[n * seats : (n + 1) * seats], layout, strict=True))
        for n, target in enumerate(targets)
    }


@dataclass(frozen=True)
class Verification:
    """The outcome of re-running a draw from its published seed and snapshot."""

    fingerprint_matches: bool
    targets_match: bool
    inspectors_match: bool | None
    recomputed: list[int]

    @property
    def ok(self) -> bool:
        """Whether everything re-ran to the recorded result."""
        return (
            self.fingerprint_matches
            and self.targets_match
            and self.inspectors_match is not False
        )


def verify_draw(record: Draw, seed: str | None = None) -> Verification:
    """Re-run a draw from its frozen candidate list and a seed (task 8, public)."""
    strata = decode_snapshot(record.snapshot)
    candidates = sorted(chain.from_iterable(ids for _, ids in strata))
    seed = record.seed if seed is None else seed
    fingerprint_ok = rules.fingerprint(candidates) == record.fingerprint
    recorded = drawn_ids(record)
    if record.algorithm != rules.ALGORITHM:
        return Verification(
            fingerprint_ok, candidates == sorted(recorded), None, recorded
        )
    params = record.parameters
    ratio = Decimal(params["sample_ratio"]) if params.get("sample_ratio") else None
    recomputed = [
        t for t, _ in rules.draw(strata, params.get("sample_count"), ratio, seed)
    ]
    inspectors_ok = None
    if record.match_input:
        data = record.match_input
        rerun = rules.match(
            recomputed,
            {int(k): v for k, v in data["pools"].items()},
            {(i, t) for i, t in data["conflicts"]},
            {int(k): v for k, v in data["seats"].items()},
            seed,
        )
        stored = assignments_of(record)
        inspectors_ok = all(
            [tuple(p) for p in rerun[t]] == stored.get(t) for t in recomputed
        )
    return Verification(
        fingerprint_ok, recomputed == recorded, inspectors_ok, recomputed
    )


# -- Results (tasks 9 to 11) ---------------------------------------------------


def record_result(user, data: dict) -> Result:
    """Record what checking one item on one target found (tasks 9 to 11)."""
    _required(data, "task_id", "target_id", "item_id", "outcome", "inspected_on")
    task = get_visible(Task, data["task_id"], user)
    if task.status != TaskStatus.MATCHED:
        raise RuleViolation(
            _("Results are recorded once inspectors are matched and until completion."),
            article="task 9",
        )
    record = task.current_draw
    if data["target_id"] not in set(drawn_ids(record)):
        raise InvalidInput({"target_id": [_("The target is not one of the task's.")]})
    item = next((i for i in task.items if i.id == data["item_id"]), None)
    if item is None:
        raise InvalidInput({"item_id": [_("The item is not one of the task's.")]})
    # "Who inspects, records and publishes" (task 9): the item's department.
    if not can_own(user, item.department):
        raise Forbidden(_("Results of an item are recorded by its department."))
    outcome = Outcome(data["outcome"])
    if outcome == Outcome.VIOLATION and not data.get("penalty"):
        raise InvalidInput({"penalty": [_("Say what penalty the violation leads to.")]})
    if data.get("referred_to_judiciary") and not data.get("referral_note"):
        raise InvalidInput(
            {"referral_note": [_("Say which judicial body the case went to.")]}
        )
    existing = db.session.scalars(
        select(Result).where(
            Result.task_id == task.id,
            Result.target_id == data["target_id"],
            Result.item_id == item.id,
        )
    ).first()
    if existing:
        raise InvalidInput(
            {"item_id": [_("A result of this item on this target exists.")]}
        )
    result = Result(
        task=task,
        target_id=data["target_id"],
        item=item,
        department_id=item.department_id,
        inspected_on=data["inspected_on"],
        outcome=outcome,
        findings=data.get("findings", ""),
        penalty=data.get("penalty", ""),
        fine_yuan=data.get("fine_yuan"),
        referred_to_judiciary=bool(data.get("referred_to_judiciary")),
        referral_note=data.get("referral_note", ""),
    )
    db.session.add(result)
    db.session.flush()
    if outcome == Outcome.VIOLATION:
        result.credit_record = _credit_record(result)
    db.session.flush()
    log.info(
        "%s recorded %s for target #%s item #%s in task #%s",
        _actor(),
        outcome.value,
        result.target_id,
        item.id,
        task.id,
    )
    return result


def _credit_record(result: Result):
    """task 11: a violation becomes a credit record other departments can see."""
    target = db.session.get(Target, result.target_id)
    organisation = target.organisation
    if organisation is None and target.uscc:
        organisation = db.session.scalars(
            select(Organisation).where(Organisation.uscc == target.uscc)
        ).first() or create_organisation(
            target.name,
            target.uscc,
            target.county,
            address=target.address,
            industry=target.industry,
        )
        target.organisation = organisation
    if organisation is None:
        log.warning(
            "target #%s has no credit code; no credit record for result #%s",
            target.id,
            result.id,
        )
        return None
    return add_credit_record(
        organisation,
        CreditKind.PENALTY,
        _(
            "Random inspection “%(task)s”, %(item)s: %(penalty)s",
            task=result.task.title,
            item=str(result.item),
            penalty=result.penalty,
        ),
        result.inspected_on,
        result.department,
        MODULE,
    )


def missing_results(task: Task) -> int:
    """How many (target, item) pairs of the task still lack a result."""
    record = task.current_draw
    if record is None:
        return 0
    expected = record.sample_size * len(task.items)
    done = db.session.scalar(
        select(func.count(Result.id)).where(Result.task_id == task.id)
    )
    return expected - done


def complete_task(user, task_id: int, on: date) -> Task:
    """Mark the task completed; its results are then due within 20 working days."""
    task = get_visible(Task, task_id, user)
    if task.status != TaskStatus.MATCHED:
        raise RuleViolation(
            _("Only a task with matched inspectors can be completed."), article="task 8"
        )
    missing = missing_results(task)
    if missing:
        raise RuleViolation(
            _("%(n)s results are still missing.", n=missing), article="task 9"
        )
    task.status = TaskStatus.COMPLETED
    task.completed_on = on
    task.publish_due_on = publication_deadline(on)
    db.session.flush()
    log.info(
        "%s completed task #%s on %s; publish by %s",
        _actor(),
        task.id,
        on,
        task.publish_due_on,
    )
    return task


def publication_deadline(completed_on: date) -> date:
    """task 9: the publication deadline on the core calendar."""
    return rules.publication_deadline(
        completed_on, lambda d, n: calendar.add_working_days(d, n).value
    )


def publish_results(user, task_id: int, on: date, withheld_reason: str = "") -> Task:
    """task 9: publish a completed task's results ("who inspects, publishes")."""
    task = get_visible(Task, task_id, user)
    if task.status != TaskStatus.COMPLETED:
        message = _(
            "The results of task “%(task)s” cannot be published: the task is "
            "not completed.",
            task=task.title,
        )
        raise RuleViolation(message, article="task 9", field="status")
    task.status = TaskStatus.PUBLISHED
    task.published_on = on
    task.withheld_reason = withheld_reason.strip()
    db.session.flush()
    log.info("%s published results of task #%s", _actor(), task.id)
    return task


# -- Deadlines, reminders, dashboard -------------------------------------------


def overdue_tasks(user, today: date) -> list[Task]:
    """Completed tasks whose results are past their publication deadline."""
    statement = scope(
        select(Task).where(
            Task.status == TaskStatus.COMPLETED, Task.publish_due_on < today
        ),
        Task,
        user,
    ).order_by(Task.publish_due_on)
    return list(db.session.scalars(statement))


def due_items(user, today: date) -> list[DueItem]:
    """Publications and plans waiting on the user's departments."""
    if not user.can(f"{MODULE}.view"):
        return []
    items = []
    tasks = scope(
        select(Task).where(Task.status == TaskStatus.COMPLETED), Task, user
    ).order_by(Task.publish_due_on)
    for task in db.session.scalars(tasks.limit(200)):
        items.append(
            DueItem(
                MODULE,
                _("Publish the results of “%(task)s”", task=task.title),
                task.publish_due_on,
                f"/admin/dual_random_tasks/details/?id={task.id}",
                _("Completed on %(day)s", day=task.completed_on.isoformat()),
            )
        )
    plans = scope(
        select(Plan).where(
            Plan.status.in_([PlanStatus.DRAFT, PlanStatus.APPROVED]),
            Plan.due_on >= date(today.year - 1, 1, 1),
        ),
        Plan,
        user,
    )
    for plan in db.session.scalars(plans.limit(200)):
        items.append(
            DueItem(
                MODULE,
                _("Finish the plan “%(plan)s”", plan=plan.title),
                plan.due_on,
                f"/admin/dual_random_plans/details/?id={plan.id}",
            )
        )
    return items


def issue_reminders(today: date) -> int:
    """Record reminders of plan and publication deadlines; returns how many."""
    made = 0
    for task in db.session.scalars(
        select(Task).where(Task.status == TaskStatus.COMPLETED)
    ):
        left = calendar.working_days_left(task.publish_due_on, today)
        if left < 0:
            made += _remind(
                f"task-{task.id}-overdue",
                task.department_id,
                _(
                    "Results of “%(task)s” are overdue for publication.",
                    task=task.title,
                ),
                task.publish_due_on,
            )
        elif left <= rules.PUBLICATION_REMINDER_WORKING_DAYS:
            made += _remind(
                f"task-{task.id}-due",
                task.department_id,
                _("Publish the results of “%(task)s”", task=task.title),
                task.publish_due_on,
            )
    for plan in db.session.scalars(
        select(Plan).where(Plan.status.in_([PlanStatus.DRAFT, PlanStatus.APPROVED]))
    ):
        if rules.plan_reminder_starts(plan.due_on) <= today:
            made += _remind(
                f"plan-{plan.id}-due",
                plan.department_id,
                _("Finish the plan “%(plan)s”", plan=plan.title),
                plan.due_on,
            )
    db.session.flush()
    return made


def _remind(key: str, department_id: int, subject: str, due_on: date) -> int:
    exists = db.session.scalars(select(Reminder.id).where(Reminder.key == key)).first()
    if exists:
        return 0
    db.session.add(
        Reminder(key=key, department_id=department_id, subject=subject, due_on=due_on)
    )
    # The dashboard shows the reminder; a department with contact addresses
    # also gets it by mail, queued in this transaction so it goes out once.
    department = db.session.get(Department, department_id)
    if department is not None and department.emails:
        mail.enqueue(
            department.emails,
            subject,
            _(
                "%(subject)s — due on %(day)s.",
                subject=subject,
                day=due_on.isoformat(),
            ),
            department=department,
            origin="dual_random.reminders",
        )
    log.info("%s reminder %s issued (due %s)", _actor(), key, due_on)
    return 1
