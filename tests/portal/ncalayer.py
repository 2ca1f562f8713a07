"""A stand-in for NCALayer: its WebSocket protocol on a local ws:// port, speaking the message shapes
NCALayer speaks for `kz.gov.pki.knca.basics` `sign`.

Each connection is greeted with `{"result":{"version":"1.4"}}`; each request is kept in `requests` and,
after NCALayer's keep-alives (`--heartbeat--`, `{}`), answered with the next of the answers queued by
`answer_with` (a message, or a function of the request that makes one): `signed_by(user)` (the data
signed by the test PKI, the CMS PEM-armoured as `basics.sign` answers it), `CANCELLED`,
`refused(code, message)`, `MODULE_NOT_FOUND` (an NCALayer without the module).
"""
import base64
import json
import textwrap
import threading

from websockets.sync.server import serve

from tests.registry.pki import sign_nonce

GREETING = {"result": {"version": "1.4"}}
KEEP_ALIVES = ("--heartbeat--", "{}")
CANCELLED = {"status": True, "body": {}}  # the person closed NCALayer's dialog
MODULE_NOT_FOUND = {"success": False, "errorCode": "MODULE_NOT_FOUND"}


def refused(code, message):
    return {"status": False, "code": code, "message": message, "details": ""}


def armoured(signature_base64):
    lines = "\r\n".join(textwrap.wrap(signature_base64, 64))
    return f"-----BEGIN CMS-----\r\n{lines}\r\n-----END CMS-----\r\n"


def signed_by(user):
    """The answer of a person who chose `user`'s key and typed its password."""
    def answer(request):
        data = base64.b64decode(request["args"]["data"]).decode("utf-8")
        return {"status": True, "body": {"result": [armoured(sign_nonce(user, data))]}}
    return answer


class FakeNCALayer:
    def __init__(self):
        self.requests = []
        self._answers = []
        self._server = serve(self._connection, "127.0.0.1", 0)
        self.url = "ws://127.0.0.1:%d" % self._server.socket.getsockname()[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def answer_with(self, *answers):
        self._answers.extend(answers)

    def _connection(self, socket):
        socket.send(json.dumps(GREETING))
        for message in socket:
            request = json.loads(message)
            self.requests.append(request)
            answer = self._answers.pop(0)
            for keep_alive in KEEP_ALIVES:
                socket.send(keep_alive)
            socket.send(json.dumps(answer(request) if callable(answer) else answer))

    def close(self):
        self._server.shutdown()
