"""The portal's Flask class: hooks checked for coroutines once, not per request."""

from core.app import PortalFlask


def test_plain_function_is_returned_as_it_is_and_remembered():
    app = PortalFlask(__name__)

    def hook():
        return "done"

    assert app.ensure_sync(hook) is hook
    assert app.ensure_sync(hook) is hook
    assert hook in app._synced
