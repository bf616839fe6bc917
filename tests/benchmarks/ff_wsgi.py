"""WSGI entry of the verification benchmark: the portal and a bare Flask app.

Built from environment variables (DATABASE_URL, ENABLED_MODULES, INSTANCE_PATH,
FIREFIGHTER_SIGNING_KEY) so gunicorn can load it. The reference /flask is a
separate, plain Flask app answering a constant JSON; /bare is the same constant
view added to the portal app, shown for information (it passes through every
request hook of the portal).
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


def constant():
    """The reference: a constant JSON answer and nothing else."""
    return {"eligible": True, "reason": "constant"}


portal.add_url_rule("/bare", "bench_bare", constant)

plain = Flask("plain")
plain.add_url_rule("/flask", "constant", constant)


def application(environ, start_response):
    """Send /flask to the plain Flask app and everything else to the portal."""
    if environ.get("PATH_INFO", "") == "/flask":
        return plain(environ, start_response)
    return portal(environ, start_response)
