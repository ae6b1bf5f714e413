"""The Binance answers the order core reacts to by code (decided at the edge, see ``exchange/errors.py``)."""

IMMEDIATE_TRIGGER = -2021  # the stop price is already crossed
REDUCE_ONLY_REJECTED = -2022  # nothing left to reduce
UNKNOWN_ORDER_CODES = (-2011, -2013)  # the order does not exist (any more)
MAX_STOP_ATTEMPTS = 3  # placing a stop: definitive rejections tolerated before closing at market
