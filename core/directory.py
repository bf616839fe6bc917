"""Services over departments, users and organisations."""

import logging

from sqlalchemy import select

from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _
from core.models.departments import Department, DepartmentKind
from core.models.organisations import CreditKind, CreditRecord, Organisation
from core.models.users import Role, User
from core.validators import validate_uscc

log = logging.getLogger(__name__)


def place_department(department: Department) -> None:
    """Give a department its path from its parent, and re-path its subtree."""
    if department.id is None:
        db.session.add(department)
        db.session.flush()
    node = department.parent
    while node is not None:
        if node is department:
            raise InvalidInput({"parent": [_("A department cannot lie below itself.")]})
        node = node.parent
    old_path = department.path
    parent_path = department.parent.path if department.parent else "/"
    department.path = f"{parent_path}{department.id}/"
    if old_path and old_path != "/" and old_path != department.path:
        for child in db.session.scalars(
            select(Department).where(
                Department.path.startswith(old_path), Department.id != department.id
            )
        ):
            child.path = department.path + child.path[len(old_path) :]


def create_department(
    code: str,
    name: str,
    kind: DepartmentKind,
    parent: Department | None = None,
    emails: str = "",
) -> Department:
    """Add a department below `parent`."""
    department = Department(
        code=code, name=name, kind=kind, parent=parent, contact_emails=emails
    )
    place_department(department)
    return department


def create_user(
    username: str,
    password: str,
    department: Department,
    roles: list[Role] = (),
    full_name: str = "",
    email: str = "",
) -> User:
    """Add a user with a hashed password."""
    if len(password) < 10:
        raise InvalidInput(
            {"password": [_("A password needs at least 10 characters.")]}
        )
    if db.session.scalars(select(User).where(User.username == username)).first():
        raise InvalidInput(
            {"username": [_("The username “%(name)s” is taken.", name=username)]}
        )
    user = User(
        username=username,
        full_name=full_name or username,
        email=email,
        department=department,
        roles=list(roles),
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    log.info("user %s created in %s", username, department.name)
    return user


def find_or_create_role(
    name: str,
    title: str,
    permissions: list[str],
    superuser: bool = False,
    city_wide: bool = False,
) -> Role:
    """A role by name, created with the given permissions if it does not exist."""
    role = db.session.scalars(select(Role).where(Role.name == name)).first()
    if role is None:
        role = Role(
            name=name,
            title=title,
            permissions=sorted(permissions),
            is_superuser=superuser,
            city_wide=city_wide,
        )
        db.session.add(role)
        db.session.flush()
    return role


def create_organisation(
    name: str, uscc: str, county: Department, **extra
) -> Organisation:
    """Add an organisation after checking its unified social credit code."""
    code = validate_uscc(uscc)
    if db.session.scalars(
        select(Organisation).where(Organisation.uscc == code)
    ).first():
        raise InvalidInput(
            {"uscc": [_("An organisation with the code %(code)s exists.", code=code)]}
        )
    organisation = Organisation(name=name, uscc=code, county=county, **extra)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def add_credit_record(
    organisation: Organisation,
    kind: CreditKind,
    summary: str,
    recorded_on,
    department: Department,
    source_module: str,
    expires_on=None,
) -> CreditRecord:
    """Record a credit event that any module may later read."""
    record = CreditRecord(
        organisation=organisation,
        kind=kind,
        summary=summary,
        recorded_on=recorded_on,
        expires_on=expires_on,
        department=department,
        source_module=source_module,
    )
    db.session.add(record)
    db.session.flush()
    log.info(
        "credit record %s for %s from %s", kind.value, organisation.name, source_module
    )
    return record


def credit_records_in_force(organisation_id: int, on) -> list[CreditRecord]:
    """The organisation's credit records that apply on date `on`."""
    records = db.session.scalars(
        select(CreditRecord).where(CreditRecord.organisation_id == organisation_id)
    ).all()
    return [r for r in records if r.is_in_force(on)]


def department_by_code(code: str) -> Department | None:
    """Look a department up by its code."""
    return db.session.scalars(select(Department).where(Department.code == code)).first()
