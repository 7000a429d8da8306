"""JSON in and out with exact amounts.

EasyCard amounts are decimals in major units with two places. Request bodies are parsed with
``Decimal`` so no amount ever passes through a float, and answers write each ``Decimal`` as a
plain JSON number with two places (``12.50``), as the API does.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")

# What Newtonsoft converts to a decimal: EasyCard accepts "12.50" but refuses "1200$".
_AMOUNT_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def loads(body):
    """Request JSON with every fractional number as a Decimal; ValueError when not JSON."""
    return json.loads(body, parse_float=Decimal)


def dumps(value):
    """JSON text; a Decimal is written as a number with exactly two places."""
    if isinstance(value, Decimal):
        return format(value.quantize(CENT), "f")
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key), ensure_ascii=False)}:{dumps(item)}"
                 for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def parse_amount(value):
    """A JSON amount (number or numeric text) -> Decimal; ValueError when it is not one.

    More than two decimal places is refused: the simulator would rather flag a client that
    sends float noise (12.300000000000001) than round it silently.
    """
    if isinstance(value, bool):  # bool is an int in Python, never an amount in JSON
        raise ValueError("not an amount")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str) and _AMOUNT_TEXT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    else:
        raise ValueError("not an amount")
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT or amount != amount.quantize(CENT):
        raise ValueError("an amount has at most two decimal places and eight digits")
    return amount.quantize(CENT)
