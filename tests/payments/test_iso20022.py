"""The payout file and the bank's messages, without a bank: every pain.001 validates against ISO's
published XSD, a broken one is caught before it leaves, and the bank's four messages read back."""
import datetime as dt
from decimal import Decimal

import pytest

from services.payments import iso20022, rules

DEBTOR = iso20022.Party("Financial Centre JSC", "KZ85125KZT0000000001", "NBRKKZKX", "050540004455")
CODES = iso20022.KazakhCodes("16", "19", "390")


def transfer(n, **changes):
    values = dict(end_to_end_id=f"{n:032x}R1", amount_kzt=20_000, name="Айгерим Сапарғали",
                  iban=rules.kz_iban("722", f"S{n:012d}"), bic="CASPKZKA", iin="000101500011",
                  remittance="Student Voucher: h20 voucher reward, IIN 000101500011")
    return iso20022.Transfer(**{**values, **changes})


def build(transfers, msg_id="SV20261001090000ABC"):
    return iso20022.build_pain001(msg_id, dt.datetime(2026, 10, 1, 4, 0, tzinfo=dt.timezone.utc), DEBTOR,
                                  dt.date(2026, 10, 1), transfers, CODES)


def test_a_payout_file_validates_and_carries_the_kazakh_details():
    document = build([transfer(1), transfer(2, amount_kzt=50_000)])
    assert iso20022.pain001_problems(document) == []
    text = document.decode()
    for part in ("<NbOfTxs>2</NbOfTxs>", "<CtrlSum>70000.00</CtrlSum>", '<InstdAmt Ccy="KZT">50000.00</InstdAmt>',
                 "<Id>000101500011</Id><SchmeNm><Cd>NIDN</Cd>", "<Purp><Prtry>390</Prtry></Purp>",
                 "<Ustrd>/KOD/16/KBE/19/KNP/390/</Ustrd>", "<BICFI>CASPKZKA</BICFI>", "Айгерим"):
        assert part in text


@pytest.mark.parametrize("broken, where", [
    (lambda t: t.replace(b"<BICFI>CASPKZKA</BICFI>", b"<BICFI>CASP</BICFI>"), "BICFI"),
    (lambda t: t.replace(b"R1</EndToEndId>", b"R1" + b"9" * 40 + b"</EndToEndId>", 1), "EndToEndId"),
    (lambda t: t.replace(b"<PmtMtd>TRF</PmtMtd>", b""), "PmtMtd"),
    (lambda t: t[:-20], "well-formed"),
])
def test_a_broken_file_is_caught_before_it_leaves(broken, where):
    problems = iso20022.pain001_problems(broken(build([transfer(1)])))
    assert problems and where in " ".join(problems)


def test_an_empty_file_is_not_built():
    with pytest.raises(ValueError):
        build([])


STATUS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>MB-P002-000001</MsgId><CreDtTm>2026-10-01T04:00:00Z</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>SV1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts>
</OrgnlGrpInfAndSts><OrgnlPmtInfAndSts><OrgnlPmtInfId>SV1</OrgnlPmtInfId>
<TxInfAndSts><OrgnlEndToEndId>aR1</OrgnlEndToEndId><TxSts>ACCP</TxSts></TxInfAndSts>
<TxInfAndSts><OrgnlEndToEndId>bR1</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC04</Cd></Rsn>
<AddtlInf>closed</AddtlInf></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"""


def test_the_banks_messages_are_read_by_end_to_end_id():
    status = iso20022.read_message(STATUS)
    assert status["type"] == "pain.002" and status["original_msg_id"] == "SV1" and status["group_status"] == "PART"
    assert [(t["end_to_end_id"], t["status"], t["reason"]) for t in status["transactions"]] == [
        ("aR1", "ACCP", None), ("bR1", "RJCT", "AC04")]
    with pytest.raises(iso20022.UnreadableMessage):
        iso20022.read_message(STATUS.replace(b"pain.002.001.10", b"pain.009.001.01"))
    with pytest.raises(iso20022.UnreadableMessage):
        iso20022.read_message(STATUS.replace(b"<MsgId>MB-P002-000001</MsgId>", b""))
    statement = iso20022.read_message(STATEMENT)
    assert (statement["day"], statement["opening"], statement["closing"]) == (
        dt.date(2026, 10, 1), Decimal("1000.00"), Decimal("980.00"))
    assert [(e["end_to_end_id"], e["amount"], e["direction"]) for e in statement["entries"]] == [
        ("aR1", Decimal("20.00"), "DBIT")]


STATEMENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>MB-C053-OPERATOR-1</MsgId><CreDtTm>2026-10-02T04:00:00Z</CreDtTm></GrpHdr>
<Stmt><Id>MB-C053-OPERATOR-1</Id><ElctrncSeqNb>1</ElctrncSeqNb><Acct><Id><IBAN>KZ85125KZT0000000001</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="KZT">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="KZT">980.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-10-01</Dt></Dt></Bal>
<Ntry><Amt Ccy="KZT">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-10-01</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>aR1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""
