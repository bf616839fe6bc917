"""The device path's declaration checks and body reading."""

import io

import pytest
from flask import Blueprint
from marshmallow import Schema, fields

from core.api import endpoint
from core.api.device import MAX_BODY, _read_body


class _Body(Schema):
    number = fields.String()


def _environ(body: bytes, content_type="application/json", length=None) -> dict:
    return {
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body) if length is None else length),
        "wsgi.input": io.BytesIO(body),
    }


@pytest.mark.parametrize(
    ("rule", "options"),
    [
        ("/things/<int:thing_id>", {"permission": "x.y", "body": _Body}),
        ("/things", {"body": _Body}),
        ("/things", {"permission": "x.y"}),
        ("/things", {"permission": "x.y", "body": _Body, "rate_limited": False}),
    ],
)
def test_a_device_endpoint_must_fit_the_device_path(rule, options):
    bp = Blueprint("device_check", __name__, url_prefix="/api/v1/device-check")

    with pytest.raises(TypeError):
        endpoint(bp, rule, methods=("POST",), response=_Body, device=True, **options)(
            lambda body: {}
        )


def test_the_body_is_read_and_put_back():
    environ = _environ(b'{"number": "XF1"}')

    assert _read_body(environ) == b'{"number": "XF1"}'
    assert environ["wsgi.input"].read() == b'{"number": "XF1"}'


def test_a_json_type_with_a_charset_is_json():
    environ = _environ(b"{}", content_type="application/json; charset=utf-8")

    assert _read_body(environ) == b"{}"


@pytest.mark.parametrize(
    "environ",
    [
        _environ(b"{}", content_type="text/plain"),
        _environ(b"{}", content_type="application/merge-patch+json"),
        _environ(b"", length=0),
        _environ(b"{}", length="chunked"),
        _environ(b"x" * (MAX_BODY + 1)),
        # The client sent less than it declared.
        _environ(b"{}", length=10),
    ],
)
def test_other_bodies_go_the_full_way(environ):
    assert _read_body(environ) is None
