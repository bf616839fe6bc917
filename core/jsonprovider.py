"""JSON for API answers and request bodies, encoded and decoded by orjson.

Gates and desks call the verification API thousands of times a second, and
the standard library's encoder is a visible share of each answer. orjson writes
the same JSON for the types it knows; dates and times still go through Flask's
own conversion, so answers look as they did with the default provider.
"""

import orjson
from flask.json.provider import DefaultJSONProvider

# Flask's defaults: keys sorted, dates and times as Flask writes them, and keys
# that are not strings (an int, a date) turned into strings.
_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
)


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider with orjson underneath; UTF-8 text is not escaped."""

    def dumps(self, obj, **kwargs) -> str:
        """Serialise `obj` to text; indented when asked (`indent` in kwargs)."""
        return self._encode(obj, kwargs.get("indent") is not None).decode()

    def loads(self, s, **kwargs):
        """Parse JSON text or UTF-8 bytes."""
        return orjson.loads(s)

    def response(self, *args, **kwargs):
        """A JSON response of the arguments, as `flask.jsonify` makes it."""
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.body(obj), mimetype=self.mimetype)

    def body(self, obj) -> bytes:
        """The bytes of a JSON response of `obj`: indented in debug, one line ending."""
        indent = self.compact is False or (self.compact is None and self._app.debug)
        return self._encode(obj, indent, orjson.OPT_APPEND_NEWLINE)

    def _encode(self, obj, indent: bool, extra: int = 0) -> bytes:
        options = _OPTIONS | extra | (orjson.OPT_INDENT_2 if indent else 0)
        return orjson.dumps(obj, default=self.default, option=options)
