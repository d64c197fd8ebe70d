// The trend of check-resources: the least-squares fit over the samples kept
// in the state file, which samples count, and when it warns.

#include "alerts/trend.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace trace_ctl;

namespace {

constexpr std::int64_t t0 = 1700000000;
constexpr std::uint64_t MiB = 1 << 20;
constexpr std::uint64_t size = 1000 * MiB;

SpaceSample at(std::int64_t t, std::uint64_t available) {
    return SpaceSample{t, size - available, available};
}

// Samples every `step` seconds from t0, available falling by `rate` bytes per
// second from `start`.
SampleSeries falling(int count, std::int64_t step, std::uint64_t start, double rate) {
    SampleSeries s;
    s.size = size;
    for (int i = 0; i < count; ++i) {
        s.samples.push_back(at(t0 + i * step, start - static_cast<std::uint64_t>(rate * i * step)));
    }
    return s;
}

}  // namespace

TEST(TrendFit, SlopeOfAStraightLineIsExact) {
    std::vector<SpaceSample> line;
    for (int i = 0; i < 10; ++i) {
        line.push_back(at(t0 + i * 600, 500 * MiB - static_cast<std::uint64_t>(i) * 6 * MiB));
    }
    auto slope = least_squares_slope(line);
    ASSERT_TRUE(slope);
    EXPECT_NEAR(*slope, -6.0 * MiB / 600, 1e-6);
}

TEST(TrendFit, NoiseAveragesOut) {
    // Up and down by 1 MiB around a line falling 1 MiB per 100 s: the fit
    // follows the line, not the last step.
    std::vector<SpaceSample> points;
    for (int i = 0; i < 20; ++i) {
        std::uint64_t noise = (i % 2) ? 2 * MiB : 0;
        points.push_back(at(t0 + i * 100, 600 * MiB - static_cast<std::uint64_t>(i) * MiB + noise));
    }
    auto slope = least_squares_slope(points);
    ASSERT_TRUE(slope);
    EXPECT_NEAR(*slope, -1.0 * MiB / 100, 0.05 * MiB / 100);
}

TEST(TrendFit, AsPredictLinearOnKnownNumbers) {
    // (0, 10), (1, 8), (2, 7), (3, 3): slope = -2.2, as a hand calculation and
    // predict_linear give it.
    std::vector<SpaceSample> p = {{t0, 0, 10}, {t0 + 1, 0, 8}, {t0 + 2, 0, 7}, {t0 + 3, 0, 3}};
    auto slope = least_squares_slope(p);
    ASSERT_TRUE(slope);
    EXPECT_NEAR(*slope, -2.2, 1e-9);
}

TEST(TrendFit, HugeNumbersKeepTheirPrecision) {
    // Times near 1.7e9 and sizes near 2^60: the naive sums would cancel out.
    std::uint64_t big = std::uint64_t{1} << 60;
    std::vector<SpaceSample> p;
    for (int i = 0; i < 5; ++i) {
        p.push_back({t0 + i * 300, 0, big - static_cast<std::uint64_t>(i) * 3000});
    }
    auto slope = least_squares_slope(p);
    ASSERT_TRUE(slope);
    EXPECT_NEAR(*slope, -10.0, 1e-3);
}

TEST(TrendFit, NothingForFewerThanTwoTimes) {
    EXPECT_FALSE(least_squares_slope({}));
    EXPECT_FALSE(least_squares_slope({at(t0, 5)}));
    EXPECT_FALSE(least_squares_slope({at(t0, 5), at(t0, 7)})) << "one time twice has no slope";
}

TEST(TrendForecast, FillingUpWarnsWithTheTimeToFull) {
    // 100 MiB available (90% used), falling 10 MiB/h: full in 10 h.
    double rate = 10.0 * MiB / 3600;
    SampleSeries h = falling(12, 600, 100 * MiB + static_cast<std::uint64_t>(rate * 12 * 600), rate);
    std::int64_t now = t0 + 12 * 600;
    SpaceSample current = at(now, 100 * MiB);
    Forecast f = forecast_space(h, size, current, 90, TrendRule{});
    ASSERT_TRUE(f.evaluated);
    EXPECT_EQ(f.samples, 13u);
    EXPECT_EQ(f.span_seconds, 12 * 600);
    ASSERT_TRUE(f.seconds_to_full);
    EXPECT_NEAR(*f.seconds_to_full, 10 * 3600, 60);
    EXPECT_TRUE(f.warns);
    EXPECT_EQ(format_time_to_full(*f.seconds_to_full), "about 10 h");
}

TEST(TrendForecast, BeyondTheHorizonDoesNotWarn) {
    double rate = 10.0 * MiB / 3600;  // 100 MiB left: 10 h
    SampleSeries h = falling(12, 600, 100 * MiB + static_cast<std::uint64_t>(rate * 12 * 600), rate);
    TrendRule rule;
    rule.horizon_seconds = 8 * 3600;
    Forecast f = forecast_space(h, size, at(t0 + 12 * 600, 100 * MiB), 90, rule);
    ASSERT_TRUE(f.seconds_to_full);
    EXPECT_FALSE(f.warns) << "10 h is outside predict_hours = 8";
}

TEST(TrendForecast, UnderSixtyPercentDoesNotWarn) {
    // 500 MiB of 1000 available (50% used), falling fast: full in 5 h, but
    // a half-empty filesystem is not yet worth a mail.
    double rate = 100.0 * MiB / 3600;
    SampleSeries h = falling(12, 600, 500 * MiB + static_cast<std::uint64_t>(rate * 12 * 600), rate);
    Forecast f = forecast_space(h, size, at(t0 + 12 * 600, 500 * MiB), 50, TrendRule{});
    ASSERT_TRUE(f.seconds_to_full);
    EXPECT_NEAR(*f.seconds_to_full, 5 * 3600, 60);
    EXPECT_FALSE(f.warns);
    EXPECT_TRUE(forecast_space(h, size, at(t0 + 12 * 600, 500 * MiB), 60.1, TrendRule{}).warns);
    EXPECT_FALSE(forecast_space(h, size, at(t0 + 12 * 600, 500 * MiB), 60, TrendRule{}).warns)
        << "over 60% means strictly above";
}

TEST(TrendForecast, EmptyingOrFlatHasNoTimeToFull) {
    SampleSeries h;
    h.size = size;
    for (int i = 0; i < 10; ++i) {
        h.samples.push_back(at(t0 + i * 600, 100 * MiB + static_cast<std::uint64_t>(i) * MiB));
    }
    Forecast f = forecast_space(h, size, at(t0 + 6000, 110 * MiB), 89, TrendRule{});
    EXPECT_TRUE(f.evaluated);
    EXPECT_GT(f.slope, 0);
    EXPECT_FALSE(f.seconds_to_full);
    EXPECT_FALSE(f.warns);

    SampleSeries flat = falling(10, 600, 100 * MiB, 0);
    f = forecast_space(flat, size, at(t0 + 6000, 100 * MiB), 90, TrendRule{});
    EXPECT_TRUE(f.evaluated);
    EXPECT_FALSE(f.seconds_to_full) << "a slope of 0 never fills up";
}

TEST(TrendForecast, WriteThenCleanEndsThePrediction) {
    // Filling for an hour, then a cleanup frees more than was written: the
    // line through the window no longer falls.
    double rate = 30.0 * MiB / 3600;
    SampleSeries h = falling(7, 600, 200 * MiB, rate);
    std::int64_t now = t0 + 7 * 600;
    Forecast filling = forecast_space(h, size, at(now, 200 * MiB - 35 * MiB), 83.5, TrendRule{});
    EXPECT_TRUE(filling.warns);
    Forecast cleaned = forecast_space(h, size, at(now, 400 * MiB), 60.5, TrendRule{});
    EXPECT_TRUE(cleaned.evaluated);
    EXPECT_FALSE(cleaned.warns);
}

TEST(TrendForecast, NeedsEnoughSamplesOverAnHour) {
    double rate = 10.0 * MiB / 3600;
    // Three samples and the current one, but over 30 minutes only.
    SampleSeries h = falling(3, 600, 120 * MiB, rate);
    Forecast f = forecast_space(h, size, at(t0 + 1800, 115 * MiB), 90, TrendRule{});
    EXPECT_FALSE(f.evaluated);
    EXPECT_EQ(f.samples, 4u);
    EXPECT_EQ(f.span_seconds, 1800);
    EXPECT_FALSE(f.warns);
    // Two samples two hours apart and the current one: too few points.
    SampleSeries sparse = falling(2, 3600, 120 * MiB, rate);
    f = forecast_space(sparse, size, at(t0 + 7200, 100 * MiB), 90, TrendRule{});
    EXPECT_FALSE(f.evaluated);
    EXPECT_EQ(f.samples, 3u);
    // The fourth point over an hour: a forecast.
    h = falling(3, 1200, 120 * MiB, rate);
    f = forecast_space(h, size, at(t0 + 3600, 110 * MiB), 90, TrendRule{});
    EXPECT_TRUE(f.evaluated);
    EXPECT_TRUE(f.warns);
    // No history at all: the current point alone.
    f = forecast_space({}, size, at(t0, 10 * MiB), 99, TrendRule{});
    EXPECT_FALSE(f.evaluated);
    EXPECT_EQ(f.samples, 1u);
    EXPECT_EQ(f.span_seconds, 0);
}

TEST(TrendSamples, OnlyThoseOfTheSameSizeWithinTheWindowAndBeforeNow) {
    SampleSeries h = falling(10, 3600, 900 * MiB, 1);  // t0 .. t0 + 9 h
    std::int64_t now = t0 + 9 * 3600 + 60;
    auto usable = usable_samples(h, size, now, TrendRule{});
    ASSERT_EQ(usable.size(), 6u) << "the last 6 h: t0 + 4 h .. t0 + 9 h";
    EXPECT_EQ(usable.front().time, t0 + 4 * 3600);
    EXPECT_TRUE(usable_samples(h, size + 4096, now, TrendRule{}).empty())
        << "a filesystem of another size starts afresh";
    // The clock went back: what seems to come from the future is not used.
    auto back = usable_samples(h, size, t0 + 5 * 3600, TrendRule{});
    ASSERT_FALSE(back.empty());
    EXPECT_LT(back.back().time, t0 + 5 * 3600);
    // Times that do not rise are dropped.
    SampleSeries shuffled;
    shuffled.size = size;
    shuffled.samples = {at(t0, 1), at(t0 + 600, 1), at(t0 + 300, 1), at(t0 + 900, 1)};
    auto rising = usable_samples(shuffled, size, t0 + 1000, TrendRule{});
    ASSERT_EQ(rising.size(), 3u);
    EXPECT_EQ(rising[1].time, t0 + 600);
    EXPECT_EQ(rising[2].time, t0 + 900);
}

TEST(TrendSamples, RecordKeepsOnePerSpacingAndAtMostMaxSamples) {
    TrendRule rule;
    SampleSeries s;
    // Every 60 s for 8 h: one sample per 240 s kept, at most 90, in the window.
    for (std::int64_t t = t0; t <= t0 + 8 * 3600; t += 60) {
        s = record_sample(s, size, at(t, 500 * MiB), rule);
    }
    EXPECT_LE(s.samples.size(), rule.max_samples);
    EXPECT_GE(s.samples.size(), 80u);
    for (size_t i = 1; i < s.samples.size(); ++i) {
        EXPECT_GE(s.samples[i].time - s.samples[i - 1].time, rule.spacing_seconds);
    }
    EXPECT_GE(s.samples.front().time, t0 + 2 * 3600) << "nothing older than the window";
    EXPECT_EQ(s.samples.back().time, t0 + 8 * 3600);
    // A new size starts afresh with this one sample.
    SampleSeries grown = record_sample(s, 2 * size, SpaceSample{t0 + 9 * 3600, 0, 2 * size}, rule);
    EXPECT_EQ(grown.size, 2 * size);
    ASSERT_EQ(grown.samples.size(), 1u);
}

TEST(TrendSamples, ARunInTheSameSecondReplacesTheSample) {
    SampleSeries s = record_sample({}, size, at(t0, 100 * MiB), TrendRule{});
    s = record_sample(s, size, at(t0, 90 * MiB), TrendRule{});
    ASSERT_EQ(s.samples.size(), 1u);
    EXPECT_EQ(s.samples[0].available, 90 * MiB);
    s = record_sample(s, size, at(t0 + 10, 80 * MiB), TrendRule{});
    ASSERT_EQ(s.samples.size(), 1u) << "within the spacing: not kept";
    EXPECT_EQ(s.samples[0].time, t0);
}

TEST(TrendSamples, AgeDropsWhatLeftTheWindow) {
    SampleSeries h = falling(10, 3600, 900 * MiB, 1);
    SampleSeries aged = age_series(h, t0 + 12 * 3600, TrendRule{});
    EXPECT_EQ(aged.size, size);
    ASSERT_EQ(aged.samples.size(), 4u);
    EXPECT_EQ(aged.samples.front().time, t0 + 6 * 3600);
    EXPECT_TRUE(age_series(h, t0 + 30 * 3600, TrendRule{}).samples.empty());
}

TEST(TrendText, TimeToFull) {
    EXPECT_EQ(format_time_to_full(0), "less than 10 min");
    EXPECT_EQ(format_time_to_full(599), "less than 10 min");
    EXPECT_EQ(format_time_to_full(std::nan("")), "less than 10 min");
    EXPECT_EQ(format_time_to_full(40 * 60), "about 40 min");
    EXPECT_EQ(format_time_to_full(89 * 60), "about 90 min");
    EXPECT_EQ(format_time_to_full(3 * 3600 + 600), "about 3 h");
    EXPECT_EQ(format_time_to_full(47 * 3600), "about 47 h");
    EXPECT_EQ(format_time_to_full(4 * 86400), "about 4 days");
    EXPECT_EQ(format_time_to_full(std::numeric_limits<double>::infinity()),
              "more than a million days");
}
