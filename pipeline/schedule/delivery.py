"""Send a pre-read by SMTP (STARTTLS and login optional): the PDF attached, or its path when it
is over the size limit. Recipients: the configured list, else the attendees' emails."""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from ..workbook.validate import read_data

if TYPE_CHECKING:
    from .config import Delivery, ReviewSchedule


def deliver(delivery: Delivery, review: ReviewSchedule, pre_read: Path | None, version: int) -> list[str]:
    data = read_data(review.workbook)
    recipients = list(delivery.recipients) or [
        str(r["Email"]) for r in data.tables["Attendees"].records if r["Email"]]
    if not recipients:
        raise RuntimeError("no recipients: list them under [review.delivery] or fill the "
                           "attendees' Email column")
    review_id = str(data.review.get("Review ID") or review.name)
    message = EmailMessage()
    message["Subject"] = f"Management review pre-read {review_id} (version {version})"
    message["From"] = delivery.sender or (delivery.username or "isms-review@localhost")
    message["To"] = ", ".join(recipients)
    meeting = data.review.get("Meeting date")
    body = [f"The pre-read pack for the management review {review_id}"
            + (f" on {meeting:%A %d %B %Y}" if meeting else "") + " is attached.",
            "Please read it before the meeting; the decisions requested of management are in "
            "its executive summary."]
    if pre_read is not None and pre_read.stat().st_size <= delivery.max_attachment_mb * 1024 * 1024:
        message.set_content("\n\n".join(body))
        message.add_attachment(pre_read.read_bytes(), maintype="application", subtype="pdf",
                               filename=pre_read.name)
    else:
        where = str(pre_read) if pre_read is not None else "the output folder"
        message.set_content("\n\n".join([body[0].replace("is attached", "is too large to attach"),
                                         f"It is at: {where}", body[1]]))
    with smtplib.SMTP(delivery.smtp_host, delivery.smtp_port, timeout=30) as smtp:
        if delivery.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if delivery.username:
            smtp.login(delivery.username, os.environ.get(delivery.password_env, ""))
        smtp.send_message(message)
    return recipients
