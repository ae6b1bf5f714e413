"""Telegram control and notifications: owner-only commands in, important events out, never in the way
of trading. ``runtime.start_telegram(ctx)`` is the entry point (called by ``service.bot.Bot``).

Modules: ``commands`` (parsing, authorization, usage), ``confirmations`` (the /panic and /close
buttons), ``formatting`` (reply texts, splitting), ``sender`` (rate-limited outgoing queue and thread),
``control`` (getUpdates loop and dispatch), ``handlers`` (what each command does), ``views`` (asks and
the exchange view), ``notifications`` (the NotifierActor sink, feed threshold, daily summary),
``chart`` (the /chart PNG), ``redact`` (keeps the token out of every text), ``runtime`` (wiring).
"""
