"""WSGI entry of the verification benchmark: the portal and a bare Flask app.

Built from environment variables (DATABASE_URL, ENABLED_MODULES, INSTANCE_PATH,
FIREFIGHTER_SIGNING_KEY) so gunicorn can load it; paths under /bare go to a
Flask app that answers a constant JSON, everything else to the portal.
"""

import os

from flask import Flask

from core.app import create_app

portal = create_app(
    {
        "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"],
        "SCHEDULER_IN_WEB": False,
    }
)

bare = Flask("bare")


@bare.get("/bare")
def constant():
    """The reference: a constant JSON answer and nothing else."""
    return {"eligible": True, "reason": "constant"}


def application(environ, start_response):
    """Send /bare to the bare app and everything else to the portal."""
    if environ.get("PATH_INFO", "").startswith("/bare"):
        return bare(environ, start_response)
    return portal(environ, start_response)
