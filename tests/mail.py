"""Reading what the real SMTP sink (scripts/with-services.sh) received."""

import mailbox
import re
import time
from email.header import decode_header, make_header
from pathlib import Path

# Who ADMINS/MANAGERS are in the tests that read mail.
ADMIN_ADDRESS = "approver@ganetimgr.test"


class Sink:
    """The messages the SMTP sink stored, read from its Maildir."""

    def __init__(self, directory: Path):
        self.directory = directory

    def clear(self):
        for sub in ("new", "cur", "tmp"):
            for path in (self.directory / sub).glob("*"):
                path.unlink()

    def messages(self) -> list[dict]:
        box = mailbox.Maildir(str(self.directory), create=False)
        found = []
        for message in box:
            part = message.get_payload(0) if message.is_multipart() else message
            found.append({
                "to": message["X-RcptTo"] or message["To"],
                "subject": str(make_header(decode_header(message["Subject"]))),
                "body": part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"),
            })
        return found

    def wait_for(self, to: str, subject_part: str, timeout: float = 5) -> dict:
        """The first message to `to` whose subject contains subject_part; delivery is asynchronous."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages():
                if to in message["to"] and subject_part in message["subject"]:
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {to} about {subject_part!r}; the sink has {self.messages()}")
            time.sleep(0.05)

    def to(self, address: str) -> list[dict]:
        return [message for message in self.messages() if address in message["to"]]


def link_in(body: str) -> str:
    """The first http(s) link of a mail body."""
    return re.search(r"https?://\S+", body).group(0)
