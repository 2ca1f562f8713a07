"""The ids the platform gives its records: uuid4 in hex."""
import re
import uuid

ID_PATTERN = r"^[0-9a-f]{32}$"


def new_id():
    return uuid.uuid4().hex


def is_id(value):
    """Whether `value` can be one of the platform's ids; anything else (from a URL) is simply not found."""
    return isinstance(value, str) and re.fullmatch(ID_PATTERN, value) is not None
