"""ISO 20022 in both directions: the pain.001.001.09 payout file the platform sends, checked against
the published XSD before it leaves, and the bank's pain.002, camt.054, camt.053 and pacs.004 read into
plain values. Pure functions: no I/O but reading the XSD once.

The XSD is ISO 20022's own `pain.001.001.09.xsd` (Standards Editor, 2019), as the `sepaxml` package
ships it. Kazakh payment details (docs/api.md, "Payments: ISO 20022"): the beneficiary's IIN in
`Cdtr/Id/PrvtId/Othr` with scheme `NIDN`, the КНП in `Purp/Prtry`, and the ЕКНП line (КОд, КБе, КНП)
first in `RmtInf/Ustrd`, beside the remittance naming the programme, the voucher and the IIN.
"""
import datetime as dt
import functools
import importlib.resources
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal

import xmlschema

PAIN_001 = "pain.001.001.09"
NAMESPACES = {PAIN_001: "urn:iso:std:iso:20022:tech:xsd:" + PAIN_001}
MAX_TEXT = 140  # Max140Text: a remittance line
MAX_ID = 35  # Max35Text: MsgId, PmtInfId, EndToEndId


@dataclass(frozen=True)
class Party:
    """The debtor: the Operator's account the payouts are paid from."""
    name: str
    iban: str
    bic: str
    bin: str  # the Operator's business identification number, as the initiating party's id


@dataclass(frozen=True)
class Transfer:
    """One credit transfer: one payout to one student's account."""
    end_to_end_id: str
    amount_kzt: int
    name: str
    iban: str
    bic: str
    iin: str
    remittance: str


@dataclass(frozen=True)
class KazakhCodes:
    """ЕКНП: the sender's code (КОд), the beneficiary's code (КБе) and the purpose (КНП)."""
    sender: str
    beneficiary: str
    purpose: str

    def line(self):
        return f"/KOD/{self.sender}/KBE/{self.beneficiary}/KNP/{self.purpose}/"


def amount_text(tenge):
    """Whole tenge as the file writes them: two decimals."""
    return f"{Decimal(tenge):.2f}"


def build_pain001(msg_id, created_at, debtor, execution_date, transfers, codes):
    """A pain.001.001.09 customer credit transfer initiation: one payment block from the debtor's
    account, one transfer per payout. Answers the file as UTF-8 bytes."""
    if not transfers:
        raise ValueError("a payout file needs at least one transfer")
    ns = NAMESPACES[PAIN_001]
    total = amount_text(sum(transfer.amount_kzt for transfer in transfers))
    root = ET.Element("Document", xmlns=ns)
    initiation = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", msg_id)
    _sub(header, "CreDtTm", created_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    _sub(header, "NbOfTxs", str(len(transfers)))
    _sub(header, "CtrlSum", total)
    initiator = _sub(header, "InitgPty")
    _sub(initiator, "Nm", debtor.name[:MAX_TEXT])
    _organisation_id(initiator, debtor.bin)
    block = _sub(initiation, "PmtInf")
    _sub(block, "PmtInfId", msg_id)  # one block per file: the file's id names it too
    _sub(block, "PmtMtd", "TRF")
    _sub(block, "NbOfTxs", str(len(transfers)))
    _sub(block, "CtrlSum", total)
    _sub(_sub(block, "ReqdExctnDt"), "Dt", execution_date.isoformat())
    debtor_party = _sub(block, "Dbtr")
    _sub(debtor_party, "Nm", debtor.name[:MAX_TEXT])
    _organisation_id(debtor_party, debtor.bin)
    _sub(_sub(_sub(block, "DbtrAcct"), "Id"), "IBAN", debtor.iban)
    _sub(_sub(_sub(block, "DbtrAgt"), "FinInstnId"), "BICFI", debtor.bic)
    _sub(block, "ChrgBr", "DEBT")  # the Operator bears the charges: the student gets the whole reward
    for transfer in transfers:
        item = _sub(block, "CdtTrfTxInf")
        _sub(_sub(item, "PmtId"), "EndToEndId", transfer.end_to_end_id)
        _sub(_sub(item, "Amt"), "InstdAmt", amount_text(transfer.amount_kzt), Ccy="KZT")
        _sub(_sub(_sub(item, "CdtrAgt"), "FinInstnId"), "BICFI", transfer.bic)
        creditor = _sub(item, "Cdtr")
        _sub(creditor, "Nm", transfer.name[:MAX_TEXT])
        person = _sub(_sub(_sub(creditor, "Id"), "PrvtId"), "Othr")
        _sub(person, "Id", transfer.iin)
        _sub(_sub(person, "SchmeNm"), "Cd", "NIDN")  # ISO's external code: national identity number
        _sub(_sub(_sub(item, "CdtrAcct"), "Id"), "IBAN", transfer.iban)
        _sub(_sub(item, "Purp"), "Prtry", codes.purpose)
        remittance = _sub(item, "RmtInf")
        _sub(remittance, "Ustrd", codes.line())
        _sub(remittance, "Ustrd", transfer.remittance[:MAX_TEXT])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _sub(parent, tag, text=None, **attributes):
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _organisation_id(party, bin_):
    other = _sub(_sub(_sub(party, "Id"), "OrgId"), "Othr")
    _sub(other, "Id", bin_)
    _sub(_sub(other, "SchmeNm"), "Cd", "TXID")  # the BIN is the Kazakh taxpayer's number


@functools.cache
def pain001_schema():
    """ISO 20022's published XSD for pain.001.001.09, read once."""
    path = importlib.resources.files("sepaxml") / "schemas" / f"{PAIN_001}.xsd"
    with importlib.resources.as_file(path) as file:
        return xmlschema.XMLSchema(str(file))


def pain001_problems(document):
    """Every way `document` breaks the XSD, as short lines; empty when it validates."""
    try:
        return [f"{error.path}: {error.reason}" for error in pain001_schema().iter_errors(document)]
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]


# What the bank sends back


class UnreadableMessage(ValueError):
    """A message that is not one of the four the platform reads, or lacks what it must carry."""


def read_message(document):
    """The bank's message as plain values: a dict with `type` (pain.002, camt.054, camt.053,
    pacs.004) and `msg_id`, and what that type carries. Amounts in whole tenge are Decimals."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise UnreadableMessage(f"not well-formed XML: {exc}")
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    kind = namespace.rsplit(":", 1)[-1]
    family = ".".join(kind.split(".")[:2])
    reader = READERS.get(family)
    if reader is None or _local(root.tag) != "Document":
        raise UnreadableMessage(f"not a message the platform reads: {kind or root.tag}")
    find = _Finder(namespace)
    body = root[0] if len(root) else None
    if body is None:
        raise UnreadableMessage(f"{kind} without a body")
    message = {"type": family, "version": kind, "msg_id": find.text(body, "GrpHdr/MsgId", required=True)}
    message.update(reader(find, body))
    return message


def _local(tag):
    return tag.split("}", 1)[-1]


class _Finder:
    """XPath-lite in one namespace: `text(element, "A/B")`, `all(element, "A/B")`."""

    def __init__(self, namespace):
        self.prefix = "{%s}" % namespace if namespace else ""

    def path(self, path):
        return "/".join(self.prefix + part for part in path.split("/"))

    def all(self, element, path):
        return element.findall(self.path(path))

    def one(self, element, path):
        return element.find(self.path(path))

    def text(self, element, path, required=False):
        found = element.find(self.path(path))
        value = found.text.strip() if found is not None and found.text else None
        if required and not value:
            raise UnreadableMessage(f"{_local(element.tag)} has no {path}")
        return value

    def amount(self, element, path):
        value = self.text(element, path, required=True)
        return Decimal(value)


def _pain002(find, body):
    original = find.one(body, "OrgnlGrpInfAndSts")
    if original is None:
        raise UnreadableMessage("pain.002 has no OrgnlGrpInfAndSts")
    transactions = []
    for block in find.all(body, "OrgnlPmtInfAndSts"):
        for item in find.all(block, "TxInfAndSts"):
            transactions.append({
                "end_to_end_id": find.text(item, "OrgnlEndToEndId", required=True),
                "status": find.text(item, "TxSts"),
                "reason": find.text(item, "StsRsnInf/Rsn/Cd"),
                "detail": find.text(item, "StsRsnInf/AddtlInf"),
            })
    return {"original_msg_id": find.text(original, "OrgnlMsgId", required=True),
            "group_status": find.text(original, "GrpSts"),
            "group_reason": find.text(original, "StsRsnInf/Rsn/Cd"),
            "group_detail": find.text(original, "StsRsnInf/AddtlInf"),
            "transactions": transactions}


def _entries(find, container):
    entries = []
    for entry in find.all(container, "Ntry"):
        booked = find.text(entry, "BookgDt/Dt") or (find.text(entry, "BookgDt/DtTm") or "")[:10]
        base = {"amount": find.amount(entry, "Amt"), "direction": find.text(entry, "CdtDbtInd"),
                "booked_on": dt.date.fromisoformat(booked) if booked else None,
                "return_reason": None}
        details = find.all(entry, "NtryDtls/TxDtls")
        if not details:
            entries.append({**base, "end_to_end_id": None})
        for detail in details:
            amount = find.text(detail, "Amt")
            entries.append({**base, "end_to_end_id": find.text(detail, "Refs/EndToEndId"),
                            "amount": Decimal(amount) if amount else base["amount"],
                            "return_reason": find.text(detail, "RtrInf/Rsn/Cd")})
    return entries


def _balance(find, statement, code):
    for balance in find.all(statement, "Bal"):
        if find.text(balance, "Tp/CdOrPrtry/Cd") == code:
            amount = find.amount(balance, "Amt")
            return amount if find.text(balance, "CdtDbtInd") == "CRDT" else -amount
    raise UnreadableMessage(f"camt.053 has no {code} balance")


def _camt054(find, body):
    notifications = find.all(body, "Ntfctn")
    return {"accounts": [find.text(note, "Acct/Id/IBAN") for note in notifications],
            "entries": [entry | {"account": find.text(note, "Acct/Id/IBAN")}
                        for note in notifications for entry in _entries(find, note)]}


def _camt053(find, body):
    statement = find.one(body, "Stmt")
    if statement is None:
        raise UnreadableMessage("camt.053 has no Stmt")
    day = find.text(statement, "FrToDt/FrDtTm") or find.text(statement, "CreDtTm") or ""
    return {"statement_id": find.text(statement, "Id", required=True),
            "sequence": find.text(statement, "ElctrncSeqNb"),
            "account": find.text(statement, "Acct/Id/IBAN"),
            "day": _statement_day(find, statement, day),
            "opening": _balance(find, statement, "OPBD"),
            "closing": _balance(find, statement, "CLBD"),
            "entries": _entries(find, statement)}


def _statement_day(find, statement, fallback):
    for balance in find.all(statement, "Bal"):
        if find.text(balance, "Tp/CdOrPrtry/Cd") == "CLBD" and find.text(balance, "Dt/Dt"):
            return dt.date.fromisoformat(find.text(balance, "Dt/Dt"))
    return dt.date.fromisoformat(fallback[:10])


def _pacs004(find, body):
    returns = []
    for item in find.all(body, "TxInf"):
        settled = find.text(item, "IntrBkSttlmDt") or find.text(body, "GrpHdr/IntrBkSttlmDt")
        paid = find.text(item, "OrgnlIntrBkSttlmDt")
        returns.append({
            "end_to_end_id": find.text(item, "OrgnlEndToEndId", required=True),
            "original_msg_id": find.text(item, "OrgnlGrpInf/OrgnlMsgId") or find.text(body, "OrgnlGrpInf/OrgnlMsgId"),
            "amount": find.amount(item, "RtrdIntrBkSttlmAmt"),
            "reason": find.text(item, "RtrRsnInf/Rsn/Cd"),
            "returned_on": dt.date.fromisoformat(settled) if settled else None,
            "paid_on": dt.date.fromisoformat(paid) if paid else None,
        })
    return {"returns": returns}


READERS = {"pain.002": _pain002, "camt.054": _camt054, "camt.053": _camt053, "pacs.004": _pacs004}
