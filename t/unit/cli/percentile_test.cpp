// The overview's percentile_cont (console/overview_sql.hpp) against what
// PostgreSQL 15's percentile_cont answered over the same float8 values
// (extra_float_digits = 3, so every bit): the overview reads latencies from
// rollups and computes percentiles itself, and must print what the rows
// alone give. And the budget of memory that those latencies take.

#include "console/overview_rollup.hpp"
#include "console/overview_sql.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

using trace_ctl::percentile_cont;

namespace {

// p50, p95 and p99 of `values`, each over a fresh copy (it reorders them).
std::vector<double> three(const std::vector<double> &values) {
    std::vector<double> out;
    for (double f : {0.5, 0.95, 0.99}) {
        std::vector<double> copy = values;
        out.push_back(percentile_cont(copy, f));
    }
    return out;
}

}  // namespace

TEST(PercentileCont, InterpolatesAsPostgresDoes) {
    // SELECT percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY v)
    // FROM unnest(ARRAY[...]::float8[]) v
    EXPECT_EQ(three({0.001, 0.2, 0.5, 0.31, 0.123456, 0.0007, 1.5, 0.25}),
              (std::vector<double>{0.225, 1.1499999999999995, 1.4299999999999997}));
    EXPECT_EQ(three({0.1, 0.3}), (std::vector<double>{0.2, 0.29, 0.298}));
    EXPECT_EQ(three({0.007}), (std::vector<double>{0.007, 0.007, 0.007}));
}

TEST(PercentileCont, LatenciesAsTheModuleStoresThem) {
    // date_part('epoch', make_interval(secs => 0.001 + power(i / 97.0, 4) * 0.9)),
    // i = 1..97, in a shuffled order: percentile_cont(0.95) = 0.7357309999999997.
    std::vector<double> v;
    for (int i = 1; i <= 97; ++i) {
        double micros = std::round((0.001 + std::pow(i / 97.0, 4) * 0.9) * 1e6);
        v.push_back(micros / 1000000.0);
    }
    for (size_t i = 0; i < v.size(); i += 2) {
        std::swap(v[i], v[v.size() - 1 - i]);
    }
    EXPECT_EQ(percentile_cont(v, 0.95), 0.7357309999999997);
}

TEST(PercentileCont, NothingToRankIsMinusOne) {
    std::vector<double> none;
    EXPECT_EQ(percentile_cont(none, 0.5), -1);
}

// The overviews' shared budget of latencies held in memory (16 million).
TEST(LatencyReservation, SharedByAllOverviewsAndGivenBack) {
    using trace_ctl::LatencyReservation;
    std::optional<LatencyReservation> first = LatencyReservation::take(10000000);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(LatencyReservation::take(10000000).has_value()) << "over the budget";
    std::optional<LatencyReservation> small = LatencyReservation::take(6000000);
    EXPECT_TRUE(small.has_value()) << "the rest of it";
    first.reset();
    std::optional<LatencyReservation> again = LatencyReservation::take(10000000);
    EXPECT_TRUE(again.has_value()) << "given back when the first ended";
    LatencyReservation moved = std::move(*again);
    again.reset();  // a moved-from reservation gives nothing back
    EXPECT_FALSE(LatencyReservation::take(1000000).has_value());
}
