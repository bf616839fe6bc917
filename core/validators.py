"""Check-digit validation of identifiers stored anywhere in the system."""

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from core.errors import InvalidInput
from core.i18n import _


def validate_uscc(value: str, field: str = "uscc") -> str:
    """Return the compact unified social credit code, or raise InvalidInput."""
    try:
        return uscc.validate(value or "")
    except StdnumError:
        raise InvalidInput(
            {
                field: [
                    _(
                        "“%(value)s” is not a valid unified social credit code "
                        "(18 characters with a correct check digit).",
                        value=value,
                    )
                ]
            }
        ) from None


def validate_resident_id(value: str, field: str = "resident_id") -> str:
    """Return the compact resident ID number, or raise InvalidInput."""
    try:
        return ric.validate(value or "")
    except StdnumError:
        raise InvalidInput(
            {
                field: [
                    _(
                        "“%(value)s” is not a valid resident ID number "
                        "(18 characters with a correct check digit).",
                        value=value,
                    )
                ]
            }
        ) from None


def birth_date_of(resident_id: str):
    """The birth date encoded in a valid resident ID number."""
    return ric.get_birth_date(resident_id)


def mask_resident_id(value: str | None) -> str:
    """Show only the first 6 and last 4 characters of a resident ID."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Show only the first 3 and last 4 digits of a phone number."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
