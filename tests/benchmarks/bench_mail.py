"""Mail drain: queued messages sent to a local SMTP server."""

import socket
import subprocess
import sys
import time

from sqlalchemy import func, select

from tests.benchmarks.harness import Figure, Results, Timer, fresh_app

TARGET_PER_SECOND = 50.0


def run(results: Results, smoke: bool) -> None:
    """Queue messages with a small attachment and drain them through SMTP."""
    from core import mail
    from core.context import Actor, acting_as
    from core.extensions import db
    from core.models.scheduling import OutboxMessage

    count = 20 if smoke else 1000
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The server runs in its own process, as a real one would, so it does not
    # compete with the drain for this interpreter. It discards what it takes:
    # the default handler prints every line of every message, work a real
    # server does not do and that competes for the same two cores.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        app = fresh_app(modules="none", SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        with app.app_context(), acting_as(Actor(kind="system", name="bench")):
            attachment = mail.Attachment(
                "报表.csv", "text/csv", "列,值\n".encode() * 200
            )
            for n in range(count):
                mail.enqueue(
                    f"office{n % 50}@zz.gov.cn",
                    f"第{n}号月报",
                    "见附件。",
                    html="<p>见附件。</p>",
                    attachments=[attachment],
                )
            db.session.commit()

            with Timer() as timer:
                result = mail.drain(limit=count)

            sent = db.session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.state == "sent"
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert result.sent == sent == count
    rate = count / timer.seconds
    results.add(
        Figure(
            name=f"mail drain: {count} messages to a local SMTP server",
            value=rate,
            unit="messages/s",
            target=f">= {TARGET_PER_SECOND:.0f} messages/s for 1,000 messages",
            met=None if smoke else rate >= TARGET_PER_SECOND,
        )
    )


def _wait_for_port(port: int, seconds: float = 20.0) -> None:
    """Wait until the SMTP server accepts connections."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the SMTP server on port {port} did not start")
