from marketplace.domain.lot_figures import MAX_BINS, soh_bins, spread


def test_spread_of_nothing_is_absent_not_zero():
    empty = spread([None, None])
    assert empty.count == 0 and empty.median is None and empty.low is None


def test_spread_counts_only_the_values_that_exist():
    s = spread([80.0, None, 70.0, 90.0])
    assert (s.count, s.median, s.low, s.high) == (3, 80.0, 70.0, 90.0)


def test_bins_cover_every_value_once_on_whole_number_edges():
    values = [70.2, 71.0, 75.0, 84.0, 83.5, 79.0]
    bins = soh_bins(values)
    assert sum(b.count for b in bins) == len(values)
    assert bins[0].low == 70 and bins[-1].high >= 84
    assert all(b.high - b.low == 2 for b in bins)
    # Empty bands inside the range stay: a gap is information.
    assert any(b.count == 0 for b in bins)


def test_a_wide_spread_takes_wider_bins_and_never_more_than_the_maximum():
    values = [21.0, 55.5, 99.9]
    bins = soh_bins(values)
    assert len(bins) <= MAX_BINS
    assert sum(b.count for b in bins) == 3
    assert bins[0].low <= 21 and bins[-1].high > 99.9


def test_one_value_gives_one_bin_and_none_gives_none():
    [only] = soh_bins([80.0])
    assert only.count == 1 and only.low <= 80 < only.high
    assert soh_bins([]) == []
