"""The mail outbox (placeholder until the outbox lands)."""


def jobs() -> list:
    """The outbox drain job."""
    return []
