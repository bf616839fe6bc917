"""Department scoping: the one place that decides which records a user may see.

A model names the column that holds its owning department in
``__scope_column__`` (DepartmentScopedMixin sets ``department_id``). A model
whose owner is reached through another table defines a classmethod
``__scope_clause__(cls, department_ids)`` returning a WHERE clause instead.
Every portal list, every API query and every record lookup goes through
``scope`` or ``get_visible``.
"""

from flask_login import current_user
from sqlalchemy import select

from core.errors import NotFound
from core.extensions import db
from core.i18n import _
from core.models.departments import Department, DepartmentKind


def sees_everything(user) -> bool:
    """City-level users and superusers see every department's records."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or any(getattr(r, "city_wide", False) for r in user.roles):
        return True
    return user.department.kind == DepartmentKind.CITY


def visible_department_ids(user):
    """A SELECT of the department ids the user may see, or None for all."""
    if sees_everything(user):
        return None
    return select(Department.id).where(Department.path.startswith(user.department.path))


def scope_clause(model, user):
    """The WHERE clause restricting `model` to what `user` may see, or None."""
    ids = visible_department_ids(user)
    if ids is None:
        return None
    custom = getattr(model, "__scope_clause__", None)
    if custom is not None:
        return custom(ids)
    column_name = getattr(model, "__scope_column__", None)
    if column_name is None:
        raise TypeError(
            f"{model.__name__} declares no __scope_column__ or "
            "__scope_clause__; it cannot be listed by department"
        )
    return getattr(model, column_name).in_(ids)


def scope(statement, model, user=None):
    """Add the user's department restriction to a SELECT (or legacy Query)."""
    user = current_user if user is None else user
    clause = scope_clause(model, user)
    if clause is None:
        return statement
    return (
        statement.filter(clause)
        if hasattr(statement, "filter")
        else statement.where(clause)
    )


def get_visible(model, record_id, user=None):
    """Load one record the user may see, or raise NotFound (never Forbidden).

    A record of another county answers exactly like a missing one, so guessing
    ids tells nothing.
    """
    user = current_user if user is None else user
    mapper_pk = model.__mapper__.primary_key[0]
    try:
        record_id = mapper_pk.type.python_type(record_id)
    except (TypeError, ValueError, NotImplementedError):
        raise NotFound(_("No record %(id)s was found.", id=record_id)) from None
    if isinstance(record_id, int) and not -(2**63) <= record_id < 2**63:
        raise NotFound(_("No record %(id)s was found.", id=record_id))
    statement = scope(select(model).where(mapper_pk == record_id), model, user)
    record = db.session.scalars(statement).first()
    if record is None:
        raise NotFound(_("No record %(id)s was found.", id=record_id))
    return record


def can_own(user, department: Department) -> bool:
    """Whether `user` may create or move a record into `department`."""
    if sees_everything(user):
        return True
    return department.path.startswith(user.department.path)
