"""The bank, behind an adapter that speaks ISO 20022: send a pain.001 payout file, and collect the
messages the bank sent back (pain.002, camt.054, camt.053, pacs.004).

`Iso20022HttpBank` talks to a bank's HTTP file door the way `mock-bank` (the simulator used in
development and tests) offers it: `POST /payments` takes a file and answers 202 when it took it, 422
with a reason when it refused it whole (`DUPL` for a MsgId it already has); `GET /_mock/mailbox`
hands over what the bank released, oldest first (`?leave` only looks). A real bank's SFTP folders or
host-to-host API get an adapter of their own with the same three methods.
"""
from dataclasses import dataclass

import requests

DUPLICATE = "DUPL"


class BankUnavailable(Exception):
    """No definite answer (timeout, connection refused, 5xx): the same file may be sent again."""


@dataclass(frozen=True)
class FileAnswer:
    """The bank's answer to a file: `received` (taken, or already taken: `duplicate`), or refused
    whole with a reason code and text."""
    received: bool
    duplicate: bool = False
    reason: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class BankDocument:
    """One message as the bank hands it over: its own id there, its type, the account it is about
    and the XML."""
    bank_id: str
    type: str
    account: str | None
    body: bytes


class BankAdapter:
    def send_file(self, document):
        """Offer a pain.001; answers a FileAnswer, or raises BankUnavailable."""
        raise NotImplementedError

    def peek(self):
        """The messages waiting, oldest first, left where they are."""
        raise NotImplementedError

    def collect(self):
        """The messages waiting, taken: the bank will not hand them over again."""
        raise NotImplementedError


class Iso20022HttpBank(BankAdapter):
    def __init__(self, base_url, timeout, auth=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        if auth:
            self.http.auth = tuple(auth.split(":", 1))

    def send_file(self, document):
        response = self._call("POST", "/payments", data=document,
                              headers={"Content-Type": "application/xml; charset=utf-8"})
        if response.status_code == 202:
            return FileAnswer(received=True)
        body = _json(response)
        reason = body.get("reason")
        if response.status_code == 422 and reason == DUPLICATE:
            return FileAnswer(received=True, duplicate=True)
        if 400 <= response.status_code < 500:
            return FileAnswer(received=False, reason=reason or str(response.status_code),
                              text=body.get("reason_text") or "; ".join(body.get("findings") or []) or None)
        raise BankUnavailable(f"the bank answered {response.status_code}")

    def peek(self):
        return self._mailbox(leave=True)

    def collect(self):
        return self._mailbox(leave=False)

    def _mailbox(self, leave):
        response = self._call("GET", "/_mock/mailbox" + ("?leave" if leave else ""))
        if response.status_code != 200:
            raise BankUnavailable(f"the bank's mailbox answered {response.status_code}")
        return [BankDocument(str(item["id"]), item["type"], item.get("account"), item["body"].encode("utf-8"))
                for item in response.json()]

    def _call(self, method, path, **kwargs):
        try:
            response = self.http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise BankUnavailable(f"the bank did not answer: {type(exc).__name__}")
        if response.status_code >= 500:
            raise BankUnavailable(f"the bank answered {response.status_code}")
        return response


def _json(response):
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def adapter_from_config(config):
    return Iso20022HttpBank(config["BANK_URL"], float(config.get("BANK_TIMEOUT_SECONDS", 5)),
                            config.get("BANK_AUTH") or None)
