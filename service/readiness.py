"""Is the account ready for the bot? The checklist behind ``run.py check`` (read-only: nothing is changed).

Each item is OK, WARN (the bot works, but look at this) or FAIL (the bot would not trade as
configured). The checks read the same endpoints the bot relies on, through the same ``CcxtGateway``
(one weight budget, one time sync), and apply the bot's own rules where they exist — the Scanner's
symbol filters (``core.scanner``) and the entry sizing (``core.orders.planning.size_entry``) — so
``check`` cannot disagree with what ``trade`` would do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from config import Settings
from core.orders.planning import Bracket, EntrySize, size_entry
from core.scanner import MarketFacts, select_symbols
from core.symbols import SymbolError, to_ccxt
from exchange.ccxt_gateway import CcxtGateway
from exchange.gateway import GatewayError

CLOCK_OFFSET_WARN_MS = 1000
FEE_BUFFER = Decimal("1.05")  # margin plus round-trip fees and a little price movement


class Status(Enum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Item:
    status: Status
    name: str
    detail: str

    def line(self) -> str:
        return f"[{self.status.value:^4}] {self.name}: {self.detail}"


class _CannotContinueError(Exception):
    """The remaining checks cannot run (no connection, keys refused)."""


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GatewayError):
        return str(exc.failure)
    return type(exc).__name__


class Readiness:
    """Runs the checks in order; later checks use what earlier ones learnt."""

    def __init__(self, settings: Settings, gateway: CcxtGateway, rest_url: str, symbols: tuple[str, ...] = ()
                 ) -> None:
        self.settings = settings
        self.gateway = gateway
        self.rest_url = rest_url
        self.requested = symbols
        self.items: list[Item] = []
        self.account: dict[str, Any] = {}
        self.chosen: list[str] = []
        self.brackets: dict[str, tuple[Bracket, ...]] = {}
        self.prices: dict[str, float] = {}

    def add(self, status: Status, name: str, detail: str) -> None:
        self.items.append(Item(status, name, detail))

    @property
    def ready(self) -> bool:
        return bool(self.items) and not any(item.status is Status.FAIL for item in self.items)

    def run(self) -> list[Item]:
        steps: list[Callable[[], None]] = [
            self.connection, self.markets, self.credentials, self.api_permissions, self.position_mode,
            self.multi_assets, self.margin_asset, self.symbols, self.margin_type, self.leverage, self.balance]
        for step in steps:
            try:
                step()
            except _CannotContinueError:
                break
        return self.items

    def _call(self, weight: int, method: str, params: Mapping[str, Any] | None = None) -> Any:
        fn = getattr(self.gateway.client, method)
        return self.gateway.call(weight, fn, dict(params or {}))

    # --------------------------------------------------------------- steps
    def connection(self) -> None:
        from service.exchange_access import measure_server_time

        try:
            _, offset = measure_server_time(self.gateway)
        except Exception as exc:
            self.add(Status.FAIL, "exchange", f"not reachable at {self.rest_url}: {_describe(exc)}")
            raise _CannotContinueError from None
        text = f"reachable at {self.rest_url}; this machine's clock is {offset:+d} ms off the exchange's"
        if abs(offset) <= CLOCK_OFFSET_WARN_MS:
            self.add(Status.OK, "clock", text)
        elif abs(offset) > 86_400_000:
            self.add(Status.WARN, "clock", f"{text} (a simulator replaying the past? the bot follows the "
                                           "exchange's clock either way)")
        else:
            self.add(Status.WARN, "clock", f"{text}: the bot compensates, but fix NTP (timedatectl) — an offset "
                                           "that moves between syncs causes -1021 rejections")

    def markets(self) -> None:
        try:
            self.gateway.load_markets()
        except Exception as exc:
            self.add(Status.FAIL, "markets", f"cannot load exchangeInfo: {_describe(exc)}")
            raise _CannotContinueError from None
        active = self.gateway.active_usdc_perpetuals()
        if not active:
            self.add(Status.FAIL, "markets", "no active USDC-margined perpetual")
            raise _CannotContinueError
        self.add(Status.OK, "markets", f"{len(active)} active USDC perpetuals")

    def credentials(self) -> None:
        try:
            self.account = self._call(5, "fapiPrivateV3GetAccount")
        except GatewayError as exc:
            self.add(Status.FAIL, "API keys", f"the exchange refused an account read: {exc.failure}")
            raise _CannotContinueError from None
        self.add(Status.OK, "API keys", "accepted (account read)")

    def api_permissions(self) -> None:
        try:
            r = self._call(1, "sapiGetAccountApiRestrictions")
        except Exception as exc:
            self.add(Status.WARN, "key permissions", f"could not read /sapi/v1/account/apiRestrictions "
                                                     f"({_describe(exc)}); check them on the API management page")
            return
        if _truthy(r.get("enableWithdrawals")):
            self.add(Status.WARN, "key permissions",
                     "!!! WITHDRAWALS ARE ENABLED FOR THIS API KEY !!! Anyone who steals it can empty the "
                     "account. Disable 'Enable Withdrawals' on the API management page: the bot never withdraws.")
        if not _truthy(r.get("enableFutures")):
            self.add(Status.FAIL, "key permissions", "futures trading is not enabled for this key "
                                                     "(enable 'Enable Futures' on the API management page)")
        elif not _truthy(r.get("enableWithdrawals")):
            self.add(Status.OK, "key permissions", "futures enabled, withdrawals disabled")
        if not _truthy(r.get("ipRestrict")):
            self.add(Status.WARN, "key IP restriction", "the key works from any IP: restrict it to this server's IP")

    def position_mode(self) -> None:
        try:
            answer = self._call(30, "fapiPrivateGetPositionSideDual")
        except GatewayError as exc:
            self.add(Status.FAIL, "position mode", f"cannot read: {exc.failure}")
            return
        if _truthy(answer.get("dualSidePosition")):
            self.add(Status.FAIL, "position mode", "the account is in hedge mode; the bot needs one-way mode "
                                                   "(Preferences → Position Mode → One-way, with no open positions)")
        else:
            self.add(Status.OK, "position mode", "one-way")

    def multi_assets(self) -> None:
        try:
            answer = self._call(30, "fapiPrivateGetMultiAssetsMargin")
        except GatewayError as exc:
            self.add(Status.WARN, "multi-assets mode", f"cannot read: {exc.failure}")
            return
        if not _truthy(answer.get("multiAssetsMargin")):
            self.add(Status.OK, "multi-assets mode", "off (single-asset: USDC margins USDC positions)")
        elif self.settings.exchange.margin_type == "isolated":
            self.add(Status.FAIL, "multi-assets mode", "on, but exchange.margin_type is isolated and Binance refuses "
                                                       "isolated margin in Multi-Assets mode: turn it off")
        else:
            self.add(Status.WARN, "multi-assets mode", "on: other assets (USDT...) margin the USDC positions")

    def margin_asset(self) -> None:
        assets = {a.get("asset"): a for a in self.account.get("assets", []) or [] if isinstance(a, Mapping)}
        usdc = assets.get("USDC")
        if usdc is None:
            self.add(Status.FAIL, "margin asset", "the futures account has no USDC asset: transfer USDC to it")
            return
        wallet = float(usdc.get("walletBalance") or 0)
        available = float(usdc.get("availableBalance") or 0)
        status = Status.OK if wallet > 0 else Status.FAIL
        self.add(status, "margin asset", f"USDC wallet {wallet:.2f}, available {available:.2f}")

    def symbols(self) -> None:
        active = self.gateway.active_usdc_perpetuals()
        try:
            tickers = self.gateway.tickers_24h()
        except GatewayError as exc:
            self.add(Status.FAIL, "symbols", f"cannot read 24 h tickers: {exc.failure}")
            return
        self.prices = {s: last for s, (_, last) in tickers.items()}
        if self.requested:
            wanted = []
            for name in self.requested:
                try:
                    wanted.append(to_ccxt(name if name.upper().endswith(("USDC", ":USDC")) else f"{name}USDC"))
                except SymbolError as exc:
                    self.add(Status.FAIL, "symbols", str(exc))
            unknown = [s for s in wanted if s not in active]
            if unknown:
                self.add(Status.FAIL, "symbols", f"not active USDC perpetuals here: {', '.join(unknown)}")
            self.chosen = [s for s in wanted if s in active]
        else:
            facts = [MarketFacts(s, True, tickers.get(s, (0.0, 0.0))[0], None) for s in active]
            selection = select_symbols(facts, self.settings.symbols)
            self.chosen = list(selection.symbols)
        if not self.chosen:
            self.add(Status.FAIL, "symbols", "no symbol passes the filters (whitelist, blacklist, volume)")
            return
        shown = ", ".join(self.chosen[:8]) + (f" and {len(self.chosen) - 8} more" if len(self.chosen) > 8 else "")
        self.add(Status.OK, "symbols", f"{len(self.chosen)} to trade: {shown}")

    def margin_type(self) -> None:
        if not self.chosen:
            return
        try:
            config = self._call(5, "fapiPrivateGetSymbolConfig")
        except GatewayError as exc:
            self.add(Status.WARN, "margin type", f"cannot read /fapi/v1/symbolConfig: {exc.failure}")
            return
        wanted = "ISOLATED" if self.settings.exchange.margin_type == "isolated" else "CROSSED"
        current = {to_ccxt(c["symbol"]): str(c.get("marginType", "")).upper()
                   for c in config if isinstance(c, Mapping) and str(c.get("symbol", "")).endswith("USDC")}
        holding = {to_ccxt(p["symbol"]) for p in self.account.get("positions", []) or []
                   if isinstance(p, Mapping) and float(p.get("positionAmt") or 0) != 0
                   and str(p.get("symbol", "")).endswith("USDC")}
        other = [s for s in self.chosen if current.get(s, wanted) not in (wanted, "")]
        stuck = [s for s in other if s in holding]
        if stuck:
            self.add(Status.WARN, "margin type", f"{', '.join(stuck)} hold a position in another margin type: the "
                                                 f"bot cannot switch them to {wanted} until they are flat")
        elif other:
            self.add(Status.OK, "margin type", f"{len(other)} symbol(s) not {wanted} yet; the bot switches each "
                                               "before its first order")
        else:
            self.add(Status.OK, "margin type", f"{wanted} on every chosen symbol")

    def leverage(self) -> None:
        if not self.chosen:
            return
        lev = self.settings.exchange.leverage
        capped = []
        try:
            if hasattr(self.gateway, "load_brackets"):  # one request for every symbol
                self.brackets = dict(self.gateway.load_brackets(self.chosen))
            else:
                self.brackets = {symbol: self.gateway.brackets(symbol) for symbol in self.chosen}
        except GatewayError as exc:
            self.add(Status.WARN, "leverage brackets", f"cannot read: {exc.failure}")
            return
        for symbol in self.chosen:
            top = max((b.max_leverage for b in self.brackets.get(symbol, ())), default=0)
            if top and lev > top:
                capped.append(f"{symbol} (max {top}x)")
        if capped:
            self.add(Status.WARN, "leverage brackets", f"leverage {lev}x is above the maximum of "
                                                       f"{', '.join(capped)}: the bot uses the maximum there")
        elif self.brackets:
            tops = [max(b.max_leverage for b in br) for br in self.brackets.values() if br]
            self.add(Status.OK, "leverage brackets", f"{lev}x allowed on every chosen symbol "
                                                     f"(maxima {min(tops)}x..{max(tops)}x)" if tops else "read")

    def balance(self) -> None:
        usdc = next((a for a in self.account.get("assets", []) or []
                     if isinstance(a, Mapping) and a.get("asset") == "USDC"), None)
        if usdc is None or not self.chosen:
            return
        s = self.settings
        available = float(usdc.get("availableBalance") or 0)
        equity = float(usdc.get("marginBalance") or usdc.get("walletBalance") or 0)
        lev = s.exchange.leverage
        risk_amount = equity * s.risk.risk_per_trade_pct / 100
        enterable: dict[str, EntrySize] = {}
        refused: list[str] = []
        for symbol in self.chosen:
            price = self.prices.get(symbol, 0.0)
            if price <= 0 or symbol not in self.gateway._rules:
                continue
            top = max((b.max_leverage for b in self.brackets.get(symbol, ())), default=lev)
            size = size_entry(rules=self.gateway.rules(symbol), reference_price=price,
                              stop_price=price * (1 - s.orders.stop_loss_pct / 100), risk_amount=risk_amount,
                              sizing_balance=equity, available_balance=available, leverage=min(lev, top),
                              max_position_pct=s.risk.max_position_pct, brackets=self.brackets.get(symbol, ()))
            if isinstance(size, EntrySize):
                enterable[symbol] = size
            else:
                refused.append(symbol)
        rule = (f"risk {s.risk.risk_per_trade_pct:g}% of {equity:.2f} at a {s.orders.stop_loss_pct:g}% stop, "
                f"{lev}x")
        if not enterable:
            self.add(Status.FAIL, "balance", f"available {available:.2f} USDC is too small: no chosen symbol reaches "
                                             f"its minimum notional ({rule})")
            return
        if refused:
            self.add(Status.WARN, "balance", f"too small for the minimum notional of {', '.join(refused[:8])}"
                                             f"{' ...' if len(refused) > 8 else ''} ({rule}): they are never entered")
        n = s.risk.max_concurrent_positions
        min_notional = max(self.gateway.rules(symbol).min_notional for symbol in enterable)
        need = Decimal(n) * min_notional / Decimal(lev) * FEE_BUFFER
        typical = sorted(size.notional for size in enterable.values())[len(enterable) // 2]
        if Decimal(str(available)) < need:
            self.add(Status.FAIL, "balance", f"available {available:.2f} USDC cannot hold {n} positions even at the "
                                             f"minimum notional ({min_notional} at {lev}x needs {need:.2f})")
            return
        self.add(Status.OK, "balance", f"available {available:.2f} USDC: entries of about {typical:.2f} notional "
                                       f"({rule}); {n} concurrent positions need at least {need:.2f}")


def run_checks(settings: Settings, gateway: CcxtGateway, rest_url: str, symbols: tuple[str, ...] = ()
               ) -> Readiness:
    readiness = Readiness(settings, gateway, rest_url, symbols)
    readiness.run()
    return readiness
