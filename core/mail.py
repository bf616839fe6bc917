"""The mail outbox: every message is a row first, and a drain job sends it.

What the outbox guarantees, and what remains possible after a crash:

- A message is queued in the same transaction as the change that causes it,
  so a change that rolls back sends nothing and a committed one is never lost.
- The drain marks messages "sending" and commits that before handing them to
  the SMTP server, and marks them "sent" after the server accepted them (in
  chunks of MAIL_SEND_CHUNK messages, one commit each way). No drain ever
  picks up a message in "sending", so a crash cannot make the drain send a
  message twice.
- A message the server refuses for good (a 5xx reply) is marked "failed" at
  once; one that meets a temporary failure (server down, 4xx reply) waits and
  is retried with exponential back-off (MAIL_RETRY_SECONDS, doubling, at most
  MAIL_RETRY_MAX_SECONDS apart) until MAIL_MAX_ATTEMPTS, then marked "failed".
  Failed messages stay in the outbox, shown in the portal, to be retried by an
  operator; nothing is ever dropped.
- Still possible: a crash (or a lost database connection) after the server
  accepted a message but before "sent" was committed leaves it, and the rest
  of its chunk, in "sending".
  It is not resent blindly: after MAIL_SENDING_STALE_SECONDS the portal flags
  it, and an operator marks it sent or sends it again; sending again may
  deliver a second copy, which carries the same Message-ID so mail clients can
  recognise it. SMTP itself can also deliver twice when the connection drops
  after the server took the message but before its reply arrived.

With SMTP_HOST empty, messages are written as .eml files into MAIL_FILE_DIR
and marked sent, so a development setup shows what would have been sent.
"""

import io
import logging
import os
import re
import smtplib
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import encoders
from email.generator import BytesGenerator
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from core.errors import InvalidInput
from core.extensions import db
from core.i18n import _, _l
from core.jobs import SKIP, Job
from core.models.base import utcnow
from core.models.scheduling import OutboxAttachment, OutboxMessage
from core.scheduler import setting

log = logging.getLogger(__name__)

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STATES = (QUEUED, SENDING, SENT, FAILED)

# The practical subset of RFC 5322 addresses that government mail systems use.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_SEPARATORS = re.compile(r"[,;，；\s]+")


@dataclass(frozen=True)
class Attachment:
    """A file to attach to a message."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class DrainResult:
    """What one drain did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def split_addresses(value) -> list[str]:
    """Addresses from a comma/semicolon/space separated string or a list."""
    if isinstance(value, str):
        parts = _SEPARATORS.split(value)
    else:
        parts = [str(v).strip() for v in value or ()]
    return [p.strip() for p in parts if p and p.strip()]


def validate_addresses(value, field: str = "recipients") -> list[str]:
    """Check addresses, naming `field` and the bad ones; duplicates are dropped."""
    addresses = split_addresses(value)
    bad = [a for a in addresses if len(a) > 254 or not _ADDRESS.match(a)]
    if bad:
        raise InvalidInput(
            {
                field: [
                    _(
                        "“%(address)s” is not an e-mail address.",
                        address=", ".join(bad),
                    )
                ]
            }
        )
    unique, seen = [], set()
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def checked_recipients(recipients, subject: str) -> list[str]:
    """A message's addresses, or InvalidInput naming what it lacks."""
    addresses = validate_addresses(recipients)
    errors = {}
    if not addresses:
        errors["recipients"] = [_("A message needs at least one recipient.")]
    if not (subject or "").strip():
        errors["subject"] = [_("A message needs a subject.")]
    if errors:
        raise InvalidInput(errors)
    return addresses


def new_message(
    recipients,
    subject: str,
    text: str,
    html: str = "",
    attachments: list[Attachment] | tuple = (),
    department=None,
    origin: str = "",
) -> OutboxMessage:
    """A checked outbox row, not yet added to the session."""
    addresses = checked_recipients(recipients, subject)
    sender = current_app.config["MAIL_SENDER"]
    return OutboxMessage(
        sender=sender,
        recipients=",".join(addresses),
        subject=subject.strip()[:300],
        body_text=text or "",
        body_html=html or "",
        message_id=make_msgid(domain=sender.rpartition("@")[2] or "localhost"),
        state=QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
        department=department,
        origin=origin,
        attachments=[
            OutboxAttachment(
                filename=a.filename, content_type=a.content_type, data=a.data
            )
            for a in attachments
        ],
    )


def add_messages(messages: list[OutboxMessage]) -> None:
    """Queue checked rows with one flush; the caller commits."""
    db.session.add_all(messages)
    db.session.flush()
    for message in messages:
        log.info(
            "queued message %s to %s recipient(s): %s",
            message.id,
            len(message.recipient_list),
            message.subject,
        )


def enqueue(
    recipients,
    subject: str,
    text: str,
    html: str = "",
    attachments: list[Attachment] | tuple = (),
    department=None,
    origin: str = "",
) -> OutboxMessage:
    """Queue a message in the current transaction; the caller commits."""
    message = new_message(
        recipients,
        subject,
        text,
        html=html,
        attachments=attachments,
        department=department,
        origin=origin,
    )
    add_messages([message])
    return message


# Built with the compat32 classes and written once with CRLF line ends: the
# newer EmailMessage API parses and refolds every header on each step, several
# times the cost for the same bytes on the wire.
_WIRE = compat32.clone(linesep="\r\n")


def _header(value: str) -> str | Header:
    # A line break would end the header and start the body (or a header of its
    # own): the value is kept on one line.
    value = " ".join(value.splitlines())
    return value if value.isascii() else Header(value, "utf-8")


def _attachment_part(attachment: OutboxAttachment) -> MIMEBase:
    maintype, _sep, subtype = attachment.content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    part.set_payload(attachment.data)
    encoders.encode_base64(part)
    name = attachment.filename
    part.add_header(
        "Content-Disposition",
        "attachment",
        filename=name if name.isascii() else ("utf-8", "", name),
    )
    return part


def message_bytes(message: OutboxMessage) -> bytes:
    """The MIME message of an outbox row, as sent (CRLF line ends)."""
    body = MIMEText(message.body_text or message.subject, "plain", "utf-8")
    if message.body_html:
        body = MIMEMultipart(
            "alternative",
            _subparts=[body, MIMEText(message.body_html, "html", "utf-8")],
        )
    if message.attachments:
        email = MIMEMultipart(
            "mixed",
            _subparts=[body, *(_attachment_part(a) for a in message.attachments)],
        )
    else:
        email = body
    email["From"] = message.sender
    email["To"] = ", ".join(message.recipient_list)
    email["Subject"] = _header(message.subject)
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = message.message_id
    stream = io.BytesIO()
    BytesGenerator(stream, mangle_from_=False, policy=_WIRE).flatten(email)
    return stream.getvalue()


class _FileTransport:
    """Writes each message as an .eml file (no SMTP server configured)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message: OutboxMessage, data: bytes) -> dict:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{message.id:08d}.eml"
        # Written under a temporary name and renamed, so a reader never sees
        # half a file.
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
        return {}

    def close(self) -> None:
        pass


class _SmtpTransport:
    """One SMTP connection reused for a drain."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        connection = smtplib.SMTP(
            self.config["SMTP_HOST"],
            self.config["SMTP_PORT"],
            timeout=setting(current_app, "SMTP_TIMEOUT", 30.0, float),
        )
        if self.config.get("SMTP_STARTTLS"):
            connection.starttls()
        if self.config.get("SMTP_USERNAME"):
            connection.login(self.config["SMTP_USERNAME"], self.config["SMTP_PASSWORD"])
        return connection

    def send(self, message: OutboxMessage, data: bytes) -> dict:
        if self.connection is None:
            self.connection = self._connect()
        try:
            return self.connection.sendmail(
                message.sender, message.recipient_list, data
            )
        except smtplib.SMTPServerDisconnected:
            self.connection = None
            raise
        except smtplib.SMTPException:
            # Leave the connection ready for the next message.
            try:
                self.connection.rset()
            except (smtplib.SMTPException, OSError):
                self.connection = None
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None


def _transport(app):
    if app.config.get("SMTP_HOST"):
        return _SmtpTransport(app.config)
    return _FileTransport(app.config["MAIL_FILE_DIR"])


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _is_connection_error(error: Exception) -> bool:
    # SMTPException is itself an OSError: a reply refusing one message leaves
    # the server reachable for the next; a dropped or refused connection does
    # not.
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code == 421:
        return True  # the server is closing the connection
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def retry_delay(app, attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th failed attempt."""
    base = setting(app, "MAIL_RETRY_SECONDS", 60.0, float)
    ceiling = setting(app, "MAIL_RETRY_MAX_SECONDS", 6 * 3600.0, float)
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))


def _claim_chunk(size: int, now: datetime) -> list[int]:
    """Mark up to `size` due messages "sending" and commit, before any hand-over."""
    # One UPDATE picks and marks the chunk. Only rows still queued are taken,
    # and on PostgreSQL rows another drain is claiming are skipped rather than
    # waited for, so two drains never take the same message.
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.state == QUEUED, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(size)
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due), OutboxMessage.state == QUEUED)
        .values(state=SENDING, sending_since=utcnow())
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _failure_values(app, attempts: int, error: Exception) -> dict:
    text = f"{type(error).__name__}: {error}"[:4000]
    values = {"attempts": attempts, "last_error": text, "sending_since": None}
    if _is_permanent(error) or attempts >= setting(app, "MAIL_MAX_ATTEMPTS", 10):
        values["state"] = FAILED
    else:
        values["state"] = QUEUED
        values["next_attempt_at"] = utcnow() + retry_delay(app, attempts)
    return values


def _send_chunk(app, transport, ids: list[int], result: DrainResult) -> bool:
    """Send claimed messages, then record every outcome in one commit.

    Returns False when the server is unreachable; the messages not yet tried
    go back to the queue untouched.
    """
    messages = db.session.scalars(
        select(OutboxMessage)
        .options(selectinload(OutboxMessage.attachments))
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    ).all()
    outcomes: list[tuple[OutboxMessage, dict]] = []
    reachable = True
    for message in messages:
        if not reachable:
            outcomes.append((message, {"state": QUEUED, "sending_since": None}))
            continue
        try:
            data = message_bytes(message)
        except Exception as error:  # noqa: BLE001 - recorded, the rest go on
            # Building it again would fail again: the message fails for good
            # instead of leaving its whole chunk in "sending".
            log.exception("message %s could not be built", message.id)
            outcomes.append(
                (
                    message,
                    {
                        "state": FAILED,
                        "attempts": message.attempts + 1,
                        "last_error": f"{type(error).__name__}: {error}"[:4000],
                        "sending_since": None,
                    },
                )
            )
            result.failed += 1
            continue
        try:
            refused = transport.send(message, data)
        except (smtplib.SMTPException, OSError) as error:
            values = _failure_values(app, message.attempts + 1, error)
            outcomes.append((message, values))
            if values["state"] == FAILED:
                result.failed += 1
            else:
                result.retrying += 1
            log.warning(
                "message %s attempt %s failed (%s): %s",
                message.id,
                message.attempts + 1,
                values["state"],
                values["last_error"],
            )
            reachable = not _is_connection_error(error)
            continue
        note = ""
        if refused:
            note = _(
                "Sent, but the server refused: %(addresses)s",
                addresses=", ".join(sorted(refused)),
            )
        outcomes.append(
            (
                message,
                {
                    "state": SENT,
                    "attempts": message.attempts + 1,
                    "sent_at": utcnow(),
                    "sending_since": None,
                    "last_error": note,
                },
            )
        )
        result.sent += 1
    if outcomes:
        # One executemany per kind of outcome, not a statement per message.
        db.session.execute(
            update(OutboxMessage).execution_options(synchronize_session=False),
            [{"id": message.id, **values} for message, values in outcomes],
        )
    db.session.commit()
    return reachable


def drain(limit: int | None = None, now: datetime | None = None) -> DrainResult:
    """Send queued messages that are due; each ends sent, queued again or failed.

    Messages are taken MAIL_SEND_CHUNK at a time: marked "sending" in one
    commit, handed to the server, and their outcomes recorded in one commit.
    """
    app = current_app._get_current_object()
    limit = limit or setting(app, "MAIL_DRAIN_BATCH", 1000)
    chunk = max(1, setting(app, "MAIL_SEND_CHUNK", 20))
    now = now or utcnow()
    result = DrainResult()
    transport = _transport(app)
    taken = 0
    try:
        while taken < limit:
            ids = _claim_chunk(min(chunk, limit - taken), now)
            if not ids:
                break
            taken += len(ids)
            if not _send_chunk(app, transport, ids, result):
                break  # the server is unreachable: the rest wait for a retry
    finally:
        transport.close()
    if result.sent or result.retrying or result.failed:
        log.info(
            "mail drain: %s sent, %s to retry, %s failed",
            result.sent,
            result.retrying,
            result.failed,
        )
    return result


def stale_sending_before(app=None) -> datetime:
    """Messages "sending" since before this time need an operator's look."""
    app = app or current_app
    return utcnow() - timedelta(
        seconds=setting(app, "MAIL_SENDING_STALE_SECONDS", 900.0, float)
    )


def is_stuck(message: OutboxMessage) -> bool:
    """Whether a message has been "sending" for too long (flagged, not resent)."""
    return (
        message.state == SENDING
        and message.sending_since is not None
        and message.sending_since < stale_sending_before()
    )


def requeue(message: OutboxMessage, actor_name: str) -> None:
    """Send a failed or stuck message again (an operator's decision)."""
    if not (message.state == FAILED or is_stuck(message)):
        raise InvalidInput(
            {
                "state": [
                    _(
                        "Only a failed message or one stuck in sending "
                        "can be sent again."
                    )
                ]
            }
        )
    message.state = QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.sending_since = None
    log.info("%s queued message %s again", actor_name, message.id)


def mark_sent(message: OutboxMessage, actor_name: str) -> None:
    """Record that a stuck message did arrive (an operator checked)."""
    if not is_stuck(message):
        raise InvalidInput(
            {"state": [_("Only a message stuck in sending can be marked sent.")]}
        )
    message.state = SENT
    message.sent_at = utcnow()
    message.sending_since = None
    message.last_error = _("Marked sent by %(name)s.", name=actor_name)
    log.info("%s marked stuck message %s sent", actor_name, message.id)


def get_message(message_id: int, user) -> OutboxMessage:
    """A message the user may see, or NotFound."""
    from core.scoping import get_visible

    return get_visible(OutboxMessage, message_id, user)


def jobs() -> list:
    """The outbox drain job."""
    return [
        Job(
            id="core.mail.drain",
            func=drain,
            trigger="interval:30",
            misfire=SKIP,
            time_limit=1800,
            title=_l("Send queued mail"),
        )
    ]
