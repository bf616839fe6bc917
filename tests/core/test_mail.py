"""The mail outbox: queueing, the drain over real SMTP, retries and failures."""

import socket
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from core import mail
from core.errors import InvalidInput
from core.models.base import utcnow
from core.models.scheduling import OutboxMessage


def free_port() -> int:
    """A TCP port nobody listens on (for now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses it."""

    def __init__(self, reply: str = "250 Message accepted"):
        self.reply = reply
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.reply

    def messages(self):
        """The received messages, parsed."""
        return [
            message_from_bytes(e.content, policy=policy.default) for e in self.envelopes
        ]


class SmtpServer:
    """A real SMTP server on localhost that can be started and stopped."""

    def __init__(self, port: int, inbox: Inbox):
        self.port = port
        self.inbox = inbox
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app, monkeypatch):
    """Point the app at a local SMTP server on a free port (not yet started)."""
    server = SmtpServer(free_port(), Inbox())
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", server.port)
    monkeypatch.setitem(app.config, "SMTP_TIMEOUT", 5)
    yield server
    server.stop()


def queue_one(**overrides):
    """Queue a simple message."""
    values = {
        "recipients": "office@lusong.gov.cn",
        "subject": "月报",
        "text": "见附件。",
    }
    values.update(overrides)
    return mail.enqueue(**values)


def count_messages(db) -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_enqueue_refuses_a_malformed_address_naming_the_field(db):
    with pytest.raises(InvalidInput) as raised:
        queue_one(recipients="office@lusong.gov.cn, not-an-address")

    assert list(raised.value.errors) == ["recipients"]
    assert "not-an-address" in raised.value.errors["recipients"][0]
    assert count_messages(db) == 0


def test_enqueue_refuses_an_empty_recipient_list(db):
    with pytest.raises(InvalidInput) as raised:
        queue_one(recipients=" ; ")

    assert list(raised.value.errors) == ["recipients"]
    assert count_messages(db) == 0


def test_enqueue_drops_duplicate_addresses(db):
    message = queue_one(recipients="a@zz.gov.cn; A@zz.gov.cn，b@zz.gov.cn")

    assert message.recipient_list == ["a@zz.gov.cn", "b@zz.gov.cn"]


def test_message_queued_in_a_rolled_back_transaction_is_never_sent(db):
    queue_one()
    db.session.rollback()

    assert count_messages(db) == 0


def test_drain_without_smtp_writes_eml_files(app, db):
    message = queue_one(attachments=[mail.Attachment("报表.csv", "text/csv", b"a,b\n")])
    db.session.commit()

    result = mail.drain()

    db.session.refresh(message)
    written = Path(app.config["MAIL_FILE_DIR"]) / f"{message.id:08d}.eml"
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert result.sent == 1
    assert message.state == "sent" and message.sent_at is not None
    assert parsed["Subject"] == "月报"
    assert [p.get_filename() for p in parsed.iter_attachments()] == ["报表.csv"]


@pytest.mark.parametrize("first", ["五月", "May"])
def test_line_break_in_a_subject_stays_in_the_subject(app, db, first):
    message = queue_one(subject=f"{first}\nreport\r\nBcc: someone@zz.gov.cn")
    db.session.commit()

    mail.drain()

    written = Path(app.config["MAIL_FILE_DIR"]) / f"{message.id:08d}.eml"
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == f"{first} report Bcc: someone@zz.gov.cn"
    assert parsed["Bcc"] is None
    assert parsed.get_content() == "见附件。"


def test_drain_delivers_through_smtp(db, smtp):
    smtp.start()
    message = queue_one(html="<p>见附件。</p>")
    db.session.commit()

    result = mail.drain()

    db.session.refresh(message)
    received = smtp.inbox.messages()
    assert result.sent == 1 and message.state == "sent"
    assert len(received) == 1
    assert received[0]["Message-ID"] == message.message_id
    assert smtp.inbox.envelopes[0].rcpt_tos == ["office@lusong.gov.cn"]


def test_message_waits_while_the_server_is_down_then_goes_exactly_once(db, smtp):
    message = queue_one()
    db.session.commit()

    down = mail.drain()
    db.session.refresh(message)
    waiting = (message.state, message.attempts, bool(message.last_error))
    retry_at = message.next_attempt_at

    smtp.start()
    too_early = mail.drain()
    later = mail.drain(now=retry_at + timedelta(seconds=1))
    again = mail.drain(now=retry_at + timedelta(hours=1))

    db.session.refresh(message)
    assert (down.retrying, waiting) == (1, ("queued", 1, True))
    assert retry_at > utcnow()
    assert too_early.sent == 0
    assert (later.sent, again.sent) == (1, 0)
    assert message.state == "sent" and message.attempts == 2
    assert len(smtp.inbox.envelopes) == 1


def test_server_down_leaves_later_messages_untouched(db, smtp):
    first, second = queue_one(), queue_one(subject="第二封")
    db.session.commit()

    mail.drain()

    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.attempts, second.attempts) == (1, 0)
    assert second.state == "queued"


def test_message_refused_for_good_is_failed_and_kept(db, smtp):
    smtp.inbox.reply = "554 5.7.1 Rejected"
    smtp.start()
    message = queue_one()
    db.session.commit()

    result = mail.drain()

    db.session.refresh(message)
    assert result.failed == 1
    assert message.state == "failed"
    assert "554" in message.last_error


class Picky(Inbox):
    """Refuses some recipients for good, another one for now, takes the rest."""

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        if address.startswith("busy@"):
            return "451 4.2.1 Mailbox busy"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_each_message_of_a_chunk_keeps_its_own_outcome(db, smtp):
    smtp.inbox = Picky()
    smtp.start()
    sent = queue_one(attachments=[mail.Attachment("名单.xlsx", "application/x", b"1")])
    gone = queue_one(recipients="gone@zz.gov.cn")
    busy = queue_one(recipients="busy@zz.gov.cn")
    partly = queue_one(recipients="gone@zz.gov.cn, office@hetang.gov.cn")
    db.session.commit()

    result = mail.drain()

    for message in (sent, gone, busy, partly):
        db.session.refresh(message)
    assert (result.sent, result.failed, result.retrying) == (2, 1, 1)
    assert (sent.state, sent.attempts, sent.last_error) == ("sent", 1, "")
    assert sent.sent_at is not None and sent.sending_since is None
    assert (gone.state, gone.attempts) == ("failed", 1)
    assert "550" in gone.last_error
    assert (busy.state, busy.attempts) == ("queued", 1)
    assert busy.next_attempt_at > utcnow() and busy.sending_since is None
    assert partly.state == "sent" and "gone@zz.gov.cn" in partly.last_error
    (first, second) = smtp.inbox.messages()
    assert first["Subject"] == "月报"
    assert [p.get_filename() for p in first.iter_attachments()] == ["名单.xlsx"]
    assert second["To"] == "gone@zz.gov.cn, office@hetang.gov.cn"


def test_message_that_keeps_failing_is_failed_after_its_attempts(
    app, db, smtp, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    smtp.inbox.reply = "451 4.3.0 Try again later"
    smtp.start()
    message = queue_one()
    db.session.commit()

    mail.drain()
    db.session.refresh(message)
    after_first = message.state
    mail.drain(now=message.next_attempt_at + timedelta(seconds=1))

    db.session.refresh(message)
    assert after_first == "queued"
    assert (message.state, message.attempts) == ("failed", 2)
    assert count_messages(db) == 1


def test_retry_delay_doubles_up_to_the_ceiling(app):
    delays = [mail.retry_delay(app, n).total_seconds() for n in (1, 2, 3, 20)]

    assert delays == [60, 120, 240, 6 * 3600]


def test_drain_never_resends_a_message_left_in_sending(db, smtp):
    smtp.start()
    message = queue_one()
    message.state = "sending"
    message.sending_since = utcnow()
    db.session.commit()

    result = mail.drain()

    assert result.sent == 0
    assert smtp.inbox.envelopes == []


def test_message_long_in_sending_is_flagged_and_can_be_requeued(db):
    message = queue_one()
    message.state = "sending"
    message.sending_since = utcnow() - timedelta(hours=1)
    db.session.commit()

    stuck = mail.is_stuck(message)
    mail.requeue(message, "admin")
    db.session.commit()

    assert stuck
    assert (message.state, message.attempts) == ("queued", 0)


def test_recent_sending_message_cannot_be_requeued(db):
    message = queue_one()
    message.state = "sending"
    message.sending_since = utcnow()
    db.session.commit()

    with pytest.raises(InvalidInput):
        mail.requeue(message, "admin")


def test_stuck_message_can_be_marked_sent(db):
    message = queue_one()
    message.state = "sending"
    message.sending_since = utcnow() - timedelta(hours=1)

    mail.mark_sent(message, "admin")

    assert message.state == "sent" and "admin" in message.last_error


def test_failed_message_can_be_sent_again(db, smtp):
    smtp.start()
    message = queue_one()
    message.state = "failed"
    db.session.commit()

    mail.requeue(message, "admin")
    db.session.commit()
    mail.drain()

    db.session.refresh(message)
    assert message.state == "sent"
    assert len(smtp.inbox.envelopes) == 1


def test_drain_job_is_declared():
    assert [job.id for job in mail.jobs()] == ["core.mail.drain"]
