"""Binance's ``{"code","msg"}`` rejections as one typed exception.

The engine raises :class:`BinanceError`; the HTTP layer turns it into the same status and body
Binance sends. Messages are Binance's own texts where known (see README "Errors" for the unverified
ones). Factories below keep the texts in one place so tests and the server agree on them.
"""

from __future__ import annotations


class BinanceError(Exception):
    """A rejection with Binance's numeric ``code``, message text and HTTP status."""

    def __init__(self, code: int, msg: str, http_status: int = 400) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.http_status = http_status

    def to_body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def mandatory(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def invalid_param(name: str) -> BinanceError:
    return BinanceError(-1130, f"Data sent for parameter '{name}' is not valid.")


def not_required(name: str) -> BinanceError:
    return BinanceError(-1106, f"Parameter '{name}' sent when not required.")


def bad_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def bad_interval() -> BinanceError:
    return BinanceError(-1120, "Invalid interval.")


def precision() -> BinanceError:
    return BinanceError(-1111, "Precision is over the maximum defined for this asset.")


def margin_insufficient() -> BinanceError:
    return BinanceError(-2019, "Margin is insufficient.")


def would_trigger() -> BinanceError:
    return BinanceError(-2021, "Order would immediately trigger.")


def reduce_only_rejected() -> BinanceError:
    return BinanceError(-2022, "ReduceOnly Order is rejected.")


def unknown_order_cancel() -> BinanceError:
    return BinanceError(-2011, "Unknown order sent.")


def no_such_order() -> BinanceError:
    return BinanceError(-2013, "Order does not exist.")


def min_notional(notional: str) -> BinanceError:
    return BinanceError(-4164, f"Order's notional must be no smaller than {notional} (unless you choose reduce only).")


def percent_price() -> BinanceError:
    return BinanceError(-4131, "The counterparty's best price does not meet the PERCENT_PRICE filter limit.")


def algo_endpoint_required() -> BinanceError:
    return BinanceError(
        -4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
    )


def post_only_rejected() -> BinanceError:
    return BinanceError(
        -5022,
        "Due to the order could not be executed as maker, the Post Only order will be rejected. "
        "The order will not be recorded in the order history",
    )


def fok_rejected() -> BinanceError:
    return BinanceError(
        -5021,
        "Due to the order could not be filled immediately, the FOK order has been rejected. "
        "The order will not be recorded in the order history",
    )


def listen_key_missing() -> BinanceError:
    return BinanceError(
        -1125, "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate `listenKey`"
    )


def invalid_signature() -> BinanceError:
    return BinanceError(-1022, "Signature for this request is not valid.")


def invalid_key() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def key_format() -> BinanceError:
    return BinanceError(-2014, "API-key format invalid.", 401)


def timestamp_outside() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def timestamp_ahead() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")


CODE_TEXTS: dict[int, str] = {
    -1000: "An unknown error occurred while processing the request.",
    -2019: "Margin is insufficient.",
    -2021: "Order would immediately trigger.",
    -2022: "ReduceOnly Order is rejected.",
    -4131: "The counterparty's best price does not meet the PERCENT_PRICE filter limit.",
    -4164: "Order's notional must be no smaller than 5 (unless you choose reduce only).",
    -1111: "Precision is over the maximum defined for this asset.",
    -2025: "Reach max open order limit.",
    -4045: "Reach max stop order limit.",
}


def forced(code: int, msg: str | None = None) -> BinanceError:
    """A rejection injected by the fault controls (``reject the next N orders with code C``)."""
    return BinanceError(code, msg or CODE_TEXTS.get(code, "Rejected by the simulator's fault injection."))
