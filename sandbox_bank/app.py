"""The sandbox bank's HTTP API (plain WSGI on werkzeug).

    POST /cards                      {"pan", "holder_name"} → {"token", "last4"}
    POST /payouts                    Idempotency-Key; {"key", "reference", "amount", "currency",
                                     "destination", "callback_url"} → 202 accepted (200 when replayed)
    POST /batches                    Idempotency-Key; {"payouts": [...], "callback_url"} → per payout
    GET  /payouts/<key>              the bank's latest word on a payout
    GET  /statement                  every payout paid: key, reference, bank_ref, amount, settled_at
    POST /control                    {"action": fail|timeout|error|duplicate, "times", "reason",
                                     "delay", "process", "account"}: how the bank misbehaves next
    POST /control/reset              forget everything (tests)
    GET  /health

The /control routes exist only with `control=True` (`SANDBOX_BANK_CONTROL`, on for the local run and
the tests; compose turns it off).
"""
import json
import time

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox_bank.bank import Refusal


def json_response(body, status=200):
    return Response(json.dumps(body), status=status, mimetype="application/json")


def error(status, message):
    return json_response({"error": {"code": str(status), "message": message}}, status)


class BankApp:
    def __init__(self, bank, control=True):
        self.bank = bank
        controls = [Rule("/control", methods=["POST"], endpoint="control"),
                    Rule("/control/reset", methods=["POST"], endpoint="reset")] if control else []
        self.routes = Map(controls + [
            Rule("/cards", methods=["POST"], endpoint="tokenise"),
            Rule("/payouts", methods=["POST"], endpoint="payout"),
            Rule("/batches", methods=["POST"], endpoint="batch"),
            Rule("/payouts/<path:key>", methods=["GET"], endpoint="status"),
            Rule("/statement", methods=["GET"], endpoint="statement"),
            Rule("/health", methods=["GET"], endpoint="health"),
        ])

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            endpoint, values = self.routes.bind_to_environ(environ).match()
            response = getattr(self, endpoint)(request, **values)
        except HTTPException as exc:
            response = error(exc.code, exc.description)
        except Refusal as exc:
            response = error(exc.status, exc.message)
        return response(environ, start_response)

    def tokenise(self, request):
        return json_response(self.bank.tokenise(body_of(request).get("pan")), 201)

    def payout(self, request):
        return self.misbehaving(lambda: self.accept(request), destination=body_of(request).get("destination"))

    def accept(self, request):
        body = body_of(request)
        created, payout = self.bank.offer(body, request.headers.get("Idempotency-Key"), body.get("callback_url"))
        return json_response(payout.answer(), 202 if created else 200)

    def batch(self, request):
        body = body_of(request)
        if not request.headers.get("Idempotency-Key"):
            raise Refusal(400, "an Idempotency-Key is required")
        return self.misbehaving(lambda: json_response(
            {"results": self.bank.offer_batch(body.get("payouts") or [], body.get("callback_url"))}, 202))

    def misbehaving(self, handle, destination=None):
        """If told to: answer 503 without doing anything, or answer too late — having done nothing
        (`process` false) or having done it (the caller cannot tell which)."""
        if self.bank.take_rule("error", destination or {}):
            return error(503, "the bank is unavailable")
        rule = self.bank.take_rule("timeout", destination or {})
        if rule is not None and not rule.process:
            time.sleep(rule.delay)
            return error(504, "the bank timed out")
        response = handle()
        if rule is not None:
            time.sleep(rule.delay)
        return response

    def status(self, request, key):
        return json_response(self.bank.find(key))

    def statement(self, request):
        return json_response({"entries": self.bank.statement()})

    def control(self, request):
        body = body_of(request)
        rule = self.bank.add_rule(body.pop("action", None), **body)
        return json_response(rule.__dict__, 201)

    def reset(self, request):
        self.bank.reset()
        return json_response({"reset": True})

    def health(self, request):
        return json_response({"status": "up"})


def body_of(request):
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError:
        raise Refusal(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        raise Refusal(400, "the body must be a JSON object")
    return body
