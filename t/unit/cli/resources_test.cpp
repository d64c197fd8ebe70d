#include "alerts/resources.hpp"

#include <gtest/gtest.h>

using trace_ctl::Measurement;
using trace_ctl::memory_percent;
using trace_ctl::MemInfo;
using trace_ctl::parse_meminfo;
using trace_ctl::percent_used;
using trace_ctl::swap_measurement;
using trace_ctl::swap_percent;

TEST(Meminfo, ReadsTotalAndAvailable) {
    auto m = parse_meminfo("MemTotal:       16318424 kB\n"
                           "MemFree:          512000 kB\n"
                           "MemAvailable:    8159212 kB\n"
                           "Buffers:          204800 kB\n"
                           "Cached:          7000000 kB\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->total_kb, 16318424u);
    EXPECT_EQ(m->available_kb, 8159212u);
    // Page cache counts as available: 50% used, not the 97% MemFree suggests.
    EXPECT_DOUBLE_EQ(memory_percent(*m), 50.0);
}

TEST(Meminfo, NothingWithoutMemAvailable) {
    EXPECT_FALSE(parse_meminfo("MemTotal: 1000 kB\nMemFree: 10 kB\n"));
    EXPECT_FALSE(parse_meminfo(""));
    EXPECT_FALSE(parse_meminfo("MemAvailable: 1000 kB\n"));
}

TEST(Meminfo, AvailableAboveTotalIsZeroUsed) {
    EXPECT_DOUBLE_EQ(memory_percent(MemInfo{1000, 1200}), 0.0);
    EXPECT_DOUBLE_EQ(memory_percent(MemInfo{0, 0}), 0.0);
}

TEST(PercentUsed, IsUsedOverUsedPlusAvailableLikeDf) {
    // 20 GB used, 80 GB available, 10 GB reserved for root: 20%, not 18%.
    EXPECT_DOUBLE_EQ(percent_used(20, 80), 20.0);
    EXPECT_DOUBLE_EQ(percent_used(0, 100), 0.0);
    EXPECT_DOUBLE_EQ(percent_used(100, 0), 100.0) << "only reserved blocks left is full";
    EXPECT_DOUBLE_EQ(percent_used(0, 0), 0.0);
}

TEST(PercentUsed, RoundsToOneDecimal) {
    EXPECT_DOUBLE_EQ(percent_used(1, 2), 33.3);
    EXPECT_DOUBLE_EQ(percent_used(2, 1), 66.7);
    EXPECT_DOUBLE_EQ(percent_used(85049, 14951), 85.0);
    EXPECT_DOUBLE_EQ(percent_used(85051, 14949), 85.1);
}

TEST(PercentUsed, HugeFilesystemsDoNotOverflow) {
    std::uint64_t big = 1ULL << 62;
    EXPECT_DOUBLE_EQ(percent_used(big, big), 50.0);
    EXPECT_DOUBLE_EQ(percent_used(big * 3, big), 75.0);
}

TEST(Measurement, OverMeansStrictlyAboveTheRoundedValue) {
    Measurement m{"memory", "memory", "memory", 85.0, 85, {}};
    EXPECT_FALSE(m.over_threshold()) << "85.0% is not over 85%";
    m.percent = 85.1;
    EXPECT_TRUE(m.over_threshold());
    m.threshold = 100;
    m.percent = 100;
    EXPECT_FALSE(m.over_threshold()) << "a threshold of 100 never fires";
    m.threshold = 0;
    m.percent = 0.1;
    EXPECT_TRUE(m.over_threshold()) << "a threshold of 0 fires as soon as anything is used";
    m.error = "cannot read";
    EXPECT_FALSE(m.over_threshold()) << "what was not measured is not over";
}

TEST(Meminfo, ReadsSwap) {
    auto m = parse_meminfo("MemTotal:       16318424 kB\n"
                           "MemAvailable:    8159212 kB\n"
                           "SwapCached:          12 kB\n"
                           "SwapTotal:       2097148 kB\n"
                           "SwapFree:        1572861 kB\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->swap_total_kb, 2097148u);
    EXPECT_EQ(m->swap_free_kb, 1572861u);
    EXPECT_DOUBLE_EQ(swap_percent(*m), 25.0);
    auto swap = swap_measurement(*m, 50);
    ASSERT_TRUE(swap);
    EXPECT_EQ(swap->key, "swap");
    EXPECT_EQ(swap->label, "swap");
    EXPECT_DOUBLE_EQ(swap->percent, 25.0);
    EXPECT_DOUBLE_EQ(swap->threshold, 50);
    EXPECT_FALSE(swap->over_threshold());
    EXPECT_TRUE(swap_measurement(*m, 24.9)->over_threshold());
}

TEST(Meminfo, NoSwapIsNoMeasurement) {
    auto m = parse_meminfo("MemTotal: 1000 kB\nMemAvailable: 500 kB\nSwapTotal: 0 kB\n"
                           "SwapFree: 0 kB\n");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->swap_total_kb, 0u);
    EXPECT_FALSE(swap_measurement(*m, 0)) << "no swap: nothing to fill up, not 0%";
    EXPECT_DOUBLE_EQ(swap_percent(*m), 0.0);
    auto old = parse_meminfo("MemTotal: 1000 kB\nMemAvailable: 500 kB\n");
    ASSERT_TRUE(old);
    EXPECT_FALSE(swap_measurement(*old, 0)) << "no Swap lines at all: no swap either";
    EXPECT_DOUBLE_EQ(swap_percent(MemInfo{1000, 500, 100, 200}), 0.0)
        << "free above total is nothing used";
    EXPECT_DOUBLE_EQ(swap_percent(MemInfo{1000, 500, 100, 0}), 100.0);
}
