"""What is due: items modules report for a user, sorted by working days left."""

from dataclasses import dataclass, field
from datetime import date

from flask import current_app

from core import calendar


@dataclass
class DueItem:
    """One thing waiting on a user, with its deadline on the core calendar."""

    module: str
    title: str
    deadline: date
    url: str = ""
    detail: str = ""
    days_left: int = field(default=0, init=False)
    confirmed: bool = field(default=True, init=False)

    @property
    def overdue(self) -> bool:
        """Whether the deadline has passed."""
        return self.days_left < 0


def due_items(user, today: date) -> list[DueItem]:
    """Every enabled module's items for `user`, overdue first, then soonest."""
    items: list[DueItem] = []
    for module in current_app.extensions["registry"]:
        items.extend(module.due_items(user, today))
    for item in items:
        item.days_left = calendar.working_days_left(item.deadline, today)
        item.confirmed = calendar.is_year_confirmed(
            item.deadline.year
        ) and calendar.is_year_confirmed(today.year)
    return sorted(items, key=lambda i: (i.days_left, i.deadline, i.title))
