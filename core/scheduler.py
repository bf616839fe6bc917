"""The scheduler (placeholder until the scheduler lands)."""


def state(app) -> str:
    """A one-word state of the scheduler for /healthz."""
    return "not running"
