"""Reports declared by modules (placeholder until the report framework lands)."""


def jobs() -> list:
    """The subscription delivery job."""
    return []
