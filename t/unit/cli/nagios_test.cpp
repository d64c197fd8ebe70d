#include "alerts/nagios.hpp"

#include <gtest/gtest.h>

using namespace trace_ctl;

namespace {

Measurement measured(const std::string &label, double percent, double threshold) {
    return Measurement{label, label, label, percent, threshold, {}};
}

Measurement unmeasured(const std::string &label, const std::string &error) {
    return Measurement{label, label, label, 0, 85, error};
}

}  // namespace

TEST(Nagios, OkLineWithPerfdata) {
    std::vector<Measurement> m = {measured("memory", 41.25, 85), measured("/", 42, 85),
                                  measured("/ inodes", 3.1, 80.5)};
    EXPECT_EQ(status_line(m, overall_status(m)),
              "RESOURCES OK - memory 41.2%, / 42.0%, / inodes 3.1% | "
              "'memory'=41.2%;85;85;0;100 '/'=42.0%;85;85;0;100 '/ inodes'=3.1%;80.5;80.5;0;100");
    EXPECT_EQ(overall_status(m), nagios_ok);
}

TEST(Nagios, CriticalPutsWhatIsOverFirst) {
    std::vector<Measurement> m = {measured("memory", 12, 85), measured("/var", 97, 85),
                                  measured("/", 90.5, 90)};
    EXPECT_EQ(overall_status(m), nagios_critical);
    EXPECT_EQ(status_line(m, overall_status(m)),
              "RESOURCES CRITICAL - /var 97.0% > 85%, / 90.5% > 90%, memory 12.0% | "
              "'memory'=12.0%;85;85;0;100 '/var'=97.0%;85;85;0;100 '/'=90.5%;90;90;0;100");
}

TEST(Nagios, UnmeasuredIsUnknownUnlessSomethingIsOver) {
    std::vector<Measurement> m = {measured("memory", 12, 85), unmeasured("/data", "Permission denied")};
    EXPECT_EQ(overall_status(m), nagios_unknown);
    EXPECT_EQ(status_line(m, overall_status(m)),
              "RESOURCES UNKNOWN - /data: Permission denied, memory 12.0% | 'memory'=12.0%;85;85;0;100");
    m.push_back(measured("/", 99, 85));
    EXPECT_EQ(overall_status(m), nagios_critical);
}

TEST(Nagios, NoteAndForcedStatus) {
    std::vector<Measurement> m = {measured("memory", 12, 85)};
    EXPECT_EQ(status_line(m, nagios_unknown, "mail not sent"),
              "RESOURCES UNKNOWN - memory 12.0%; mail not sent | 'memory'=12.0%;85;85;0;100");
}

TEST(Nagios, LabelsAreQuotedAndCannotBreakTheLine) {
    EXPECT_EQ(perfdata_label("/"), "'/'");
    EXPECT_EQ(perfdata_label("/mnt/it's here"), "'/mnt/it''s here'");
    EXPECT_EQ(perfdata_label("/a=b|c\nd"), "'/a_b_c_d'");
}

TEST(Nagios, TextCannotStartPerfdataOrANewLine) {
    std::vector<Measurement> m = {measured("/mnt/a|b\nc", 10, 85)};
    std::string line = status_line(m, overall_status(m));
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(line, "RESOURCES OK - /mnt/a_b_c 10.0% | '/mnt/a_b_c'=10.0%;85;85;0;100");
    EXPECT_EQ(unknown_line("bad | thing\nhere"), "RESOURCES UNKNOWN - bad _ thing_here");
}

TEST(Nagios, Numbers) {
    EXPECT_EQ(format_percent(0), "0.0");
    EXPECT_EQ(format_percent(99.95), "100.0");
    EXPECT_EQ(format_threshold(85), "85");
    EXPECT_EQ(format_threshold(80.5), "80.5");
    EXPECT_EQ(format_threshold(0), "0");
}

TEST(Nagios, NothingMeasured) {
    EXPECT_EQ(status_line({}, nagios_ok), "RESOURCES OK - nothing to measure");
}

TEST(Nagios, APredictionWarnsUnlessSomethingIsOver) {
    std::vector<Measurement> m = {measured("memory", 12, 85), measured("swap", 3, 85),
                                  measured("/var", 72, 85)};
    EXPECT_EQ(overall_status(m, true), nagios_warning);
    StatusExtras extras{{"/var full in about 3 h"}, {time_to_full_perfdata("/var", 10800.4)}};
    EXPECT_EQ(status_line(m, nagios_warning, {}, extras),
              "RESOURCES WARNING - /var full in about 3 h, memory 12.0%, swap 3.0%, /var 72.0% | "
              "'memory'=12.0%;85;85;0;100 'swap'=3.0%;85;85;0;100 '/var'=72.0%;85;85;0;100 "
              "'/var time to full'=10800s;;;0");
    m.push_back(measured("/", 90, 85));
    EXPECT_EQ(overall_status(m, true), nagios_critical);
    EXPECT_EQ(status_line(m, nagios_critical, {}, extras).rfind("RESOURCES CRITICAL - / 90.0% > 85%, "
                                                                "/var full in about 3 h, memory",
                                                                0),
              0u)
        << "what is over comes first, then the predictions";
    std::vector<Measurement> unmeasured_too = {unmeasured("/data", "Permission denied")};
    EXPECT_EQ(overall_status(unmeasured_too, true), nagios_warning);
    EXPECT_EQ(overall_status(unmeasured_too, false), nagios_unknown);
}

TEST(Nagios, TimeToFullPerfdataWithoutAPrediction) {
    std::vector<Measurement> m = {measured("/", 40, 85)};
    StatusExtras extras{{}, {time_to_full_perfdata("/", 400000)}};
    EXPECT_EQ(status_line(m, overall_status(m), "mail not sent", extras),
              "RESOURCES OK - / 40.0%; mail not sent | '/'=40.0%;85;85;0;100 "
              "'/ time to full'=400000s;;;0");
}
