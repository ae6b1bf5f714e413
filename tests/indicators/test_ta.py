"""The TA-Lib wrappers against values computed by hand on tiny series, and their input checks."""

from __future__ import annotations

import numpy as np
import pytest

from indicators import as_series, atr, ema, macd, rsi, sma, validate_ohlcv

NAN = np.nan


def assert_series(actual: np.ndarray, expected: list[float]) -> None:
    """Equal to 1e-12, NaN where NaN is expected (warm-up), and aligned with the input."""
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual, np.array(expected), rtol=1e-12, atol=0, equal_nan=True)


class TestHandComputed:
    def test_ema_of_a_constant_is_the_constant_after_period_minus_one_values(self) -> None:
        assert_series(ema([5.0] * 6, 4), [NAN, NAN, NAN, 5, 5, 5])

    def test_ema_is_seeded_with_the_sma_then_smooths_with_alpha_2_over_n_plus_1(self) -> None:
        # seed: (2 + 4 + 6) / 3 = 4; alpha = 0.5: 0.5 * 12 + 0.5 * 4 = 8; 0.5 * 2 + 0.5 * 8 = 5
        assert_series(ema([2, 4, 6, 12, 2], 3), [NAN, NAN, 4, 8, 5])

    def test_ema_of_a_ramp_lags_by_half_the_period_minus_one(self) -> None:
        assert_series(ema([1, 2, 3, 4, 5, 6, 7], 3), [NAN, NAN, 2, 3, 4, 5, 6])

    def test_sma_includes_the_current_value(self) -> None:
        assert_series(sma([1, 2, 3, 4, 10], 3), [NAN, NAN, 2, 3, 17 / 3])

    def test_sma_accepts_zero_volumes_when_asked(self) -> None:
        assert_series(sma([0, 0, 3, 0], 2, allow_zero=True), [NAN, 0, 1.5, 1.5])

    def test_rsi_of_a_rising_series_is_100_and_of_a_falling_one_is_0(self) -> None:
        assert_series(rsi([1, 2, 3, 4, 5, 6], 3), [NAN, NAN, NAN, 100, 100, 100])
        assert_series(rsi([6, 5, 4, 3, 2, 1], 3), [NAN, NAN, NAN, 0, 0, 0])

    def test_rsi_uses_wilder_smoothing(self) -> None:
        # changes +1, -0.5, +1. First average (period 2): gain 0.5, loss 0.25 -> 100 * 0.5 / 0.75.
        # Then gain (0.5 + 1) / 2 = 0.75, loss (0.25 + 0) / 2 = 0.125 -> 100 * 0.75 / 0.875.
        assert_series(rsi([10, 11, 10.5, 11.5], 2), [NAN, NAN, 200 / 3, 600 / 7])

    def test_macd_of_a_ramp_is_half_the_period_difference_and_the_histogram_zero(self) -> None:
        # Both EMAs of a ramp lag by (n - 1) / 2, so the line is (6 - 3) / 2 slopes, from index 6 - 1 + 2 - 1.
        lines = macd(100.0 + np.arange(10), 3, 6, 2)
        warm = [NAN] * 6
        assert_series(lines.line, [*warm, 1.5, 1.5, 1.5, 1.5])
        assert_series(lines.signal, [*warm, 1.5, 1.5, 1.5, 1.5])
        np.testing.assert_allclose(lines.histogram[6:], 0.0, atol=1e-12)
        assert np.isnan(lines.histogram[:6]).all()

    def test_macd_histogram_is_line_minus_signal(self) -> None:
        close = 100 + np.sin(np.arange(60) / 4.0) * 3
        lines = macd(close, 5, 13, 4)
        np.testing.assert_allclose(lines.histogram, lines.line - lines.signal, rtol=0, atol=1e-12)
        assert not np.isnan(lines.histogram[13 - 1 + 4 - 1 :]).any()

    def test_atr_on_known_bars_takes_gaps_from_the_previous_close(self) -> None:
        high = [11, 12, 11.5, 14, 12]
        low = [9, 10, 10.5, 12, 9]
        close = [10, 11, 11, 13, 10]
        # true ranges from bar 1: 2, 1, 3 (gap up: 14 - 11), 4 (gap down: 13 - 9)
        # ATR(2): (2 + 1) / 2 = 1.5; (1.5 + 3) / 2 = 2.25; (2.25 + 4) / 2 = 3.125
        assert_series(atr(high, low, close, 2), [NAN, NAN, 1.5, 2.25, 3.125])

    @pytest.mark.parametrize(
        "compute",
        [
            lambda x: ema(x, 5),
            lambda x: sma(x, 5),
            lambda x: rsi(x, 5),
            lambda x: macd(x, 3, 5, 2).histogram,
            lambda x: atr(x + 1, x, x, 5),
        ],
        ids=["ema", "sma", "rsi", "macd", "atr"],
    )
    def test_a_series_shorter_than_the_lookback_gives_all_nan_of_the_same_length(self, compute) -> None:
        out = compute(np.array([3.0, 4.0, 5.0]))
        assert out.shape == (3,)
        assert np.isnan(out).all()


class TestInputChecks:
    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ([1.0, np.nan, 2.0], r"close: must be finite, got nan at index 1"),
            ([1.0, np.inf], r"close: must be finite, got inf at index 1"),
            ([1.0, 0.0, 2.0], r"close: must be > 0, got 0.0 at index 1"),
            ([1.0, 2.0, -3.0], r"close: must be > 0, got -3.0 at index 2"),
            ([[1.0, 2.0]], r"close: must be one-dimensional, got shape \(1, 2\)"),
            (5.0, r"close: must be one-dimensional, got shape \(\)"),
            (["x"], r"close: must be numbers"),
        ],
    )
    def test_bad_prices_are_refused_with_the_problem_named(self, values, message) -> None:
        with pytest.raises(ValueError, match=message):
            rsi(values, 2)

    def test_nan_in_the_middle_of_a_long_series_is_found(self) -> None:
        close = np.linspace(1.0, 2.0, 1000)
        close[700] = np.nan
        with pytest.raises(ValueError, match="index 700 of 1000"):
            ema(close, 9)

    def test_volume_may_be_zero_but_not_negative(self) -> None:
        assert as_series([0.0, 1.0], "volume", allow_zero=True).tolist() == [0.0, 1.0]
        with pytest.raises(ValueError, match=r"volume: must be >= 0, got -1.0 at index 0"):
            as_series([-1.0, 1.0], "volume", allow_zero=True)

    def test_atr_columns_must_have_the_same_length(self) -> None:
        with pytest.raises(ValueError, match=r"same length, got high=3, low=2, close=3"):
            atr([2, 2, 2], [1, 1], [1.5, 1.5, 1.5], 2)

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda: ema([1.0, 2.0], 1), r"period: must lie within 2\.\.100000, got 1"),
            (lambda: rsi([1.0, 2.0], 2.5), r"period: must be an integer, got 2.5"),
            (lambda: sma([1.0, 2.0], True), r"period: must be an integer, got True"),
            (lambda: ema([1.0, 2.0], 100_001), r"period: must lie within"),
            (lambda: macd([1.0, 2.0], 26, 12, 9), r"fast: must be < slow \(12\), got 26"),
            (lambda: macd([1.0, 2.0], 12, 12, 9), r"fast: must be < slow"),
        ],
    )
    def test_bad_periods_are_refused(self, call, message) -> None:
        with pytest.raises(ValueError, match=message):
            call()

    def test_validate_ohlcv_names_the_column_and_checks_high_above_low(self) -> None:
        good = [1.0, 2.0, 3.0]
        with pytest.raises(ValueError, match=r"^low: must be > 0"):
            validate_ohlcv(good, good, [1.0, 0.0, 1.0], good, good)
        with pytest.raises(ValueError, match=r"same length, got open=3, high=3, low=3, close=2, volume=3"):
            validate_ohlcv(good, good, good, good[:2], good)
        with pytest.raises(ValueError, match=r"high: must be >= low, got high 2.0 < low 2.5 at index 1"):
            validate_ohlcv(good, good, [1.0, 2.5, 3.0], good, good)

    def test_contiguous_float64_input_is_used_as_is_and_anything_else_converted_once(self) -> None:
        data = np.array([1.0, 2.0, 3.0, 4.0])
        assert as_series(data) is data
        strided = as_series(data[::2])
        assert strided.flags.c_contiguous
        assert strided.tolist() == [1.0, 3.0]
        assert as_series([1, 2]).dtype == np.float64
