"""A small SMTP server for tests (stdlib `socketserver` on a thread): it speaks enough SMTP for
`smtplib` and keeps every message it accepts, parsed, in `messages`."""
import email
import email.policy
import socketserver
import threading

from nameko.testing.utils import find_free_port


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply("220 test mailbox ready")
        sender, recipients = None, []
        while line := self.rfile.readline():
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test mailbox")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.server.mailbox.accept(sender, recipients, self.read_data())
                self.reply("250 OK queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def read_data(self):
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class SmtpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Mailbox:
    """Start it, point SMTP_HOST/SMTP_PORT at `host`/`port`; read `messages` (email.message objects)."""

    host = "127.0.0.1"

    def __init__(self):
        self.port = find_free_port()  # nothing listens on it until `start`
        self.messages = []
        self.lock = threading.Lock()
        self.server = None

    def accept(self, sender, recipients, data):
        message = email.message_from_bytes(data, policy=email.policy.default)
        message.envelope = {"from": sender, "to": recipients}
        with self.lock:
            self.messages.append(message)

    def to(self, address):
        with self.lock:
            return [message for message in self.messages if address in message.envelope["to"]]

    def start(self):
        self.server = SmtpServer((self.host, self.port), SmtpHandler)
        self.server.mailbox = self
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def smtp_settings(mailbox, operator_email, **extra):
    """Notifications' config for mailing to `mailbox` at once and retrying fast; `extra` on top."""
    return {"SMTP_HOST": mailbox.host, "SMTP_PORT": mailbox.port, "SMTP_FROM": "noreply@voucher.example.kz",
            "OPERATOR_EMAIL": operator_email, "SMTP_TIMEOUT_SECONDS": 2, "MAIL_SENDER_INTERVAL": 0.1,
            "MAIL_RETRY_BASE_SECONDS": 0.1, "MAIL_RETRY_CAP_SECONDS": 0.3, "MAIL_MAX_ATTEMPTS": 100, **extra}
