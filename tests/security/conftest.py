"""Fixtures the security tests borrow from the modules' tests."""

from tests.modules.quality_award.conftest import (  # noqa: F401 (fixtures)
    create_application,
    org_data,
    qa,
)
