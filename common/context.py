"""The request context every worker carries: its keys, and where a worker's session finds it.

The gateway starts a request's context from its HTTP headers; nameko passes it along every RPC and
event of the request (`worker_ctx.data`); `common.db.Database` hands it to each worker's session, and
`common.outbox.record_event` reads the request id from there into the events it records.
"""

# The request's id: one per HTTP request, carried by every RPC, event and log line it causes.
REQUEST_ID = "request_id"
# session.info key holding the worker's context data.
CONTEXT_DATA_KEY = "context_data"


def request_id_of(session):
    """The request id of the worker that owns `session`, or None outside a worker."""
    return session.info.get(CONTEXT_DATA_KEY, {}).get(REQUEST_ID)
