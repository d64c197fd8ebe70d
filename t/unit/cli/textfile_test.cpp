// check-resources --textfile: the Prometheus text exposition of the
// measurements, and how the file is replaced.

#include "alerts/textfile.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

using namespace trace_ctl;

namespace {

Measurement measured(const std::string &key, const std::string &label, double percent,
                     double threshold) {
    return Measurement{key, label, label, percent, threshold, {}};
}

std::string slurp(const std::string &path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool has_line(const std::string &text, const std::string &line) {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) {
        if (l == line) {
            return true;
        }
    }
    return false;
}

class TextfileTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/textfile-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string dir_;
};

}  // namespace

TEST(Textfile, EveryResourceWithItsLabels) {
    std::vector<Measurement> m = {measured("memory", "memory", 41.2, 85),
                                  measured("swap", "swap", 3.5, 85),
                                  measured("space:/var", "/var", 72, 80),
                                  measured("inodes:/var", "/var inodes", 1.5, 80)};
    std::string text = prometheus_text(m, {}, 1700000000);
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_used_ratio{resource=\"memory\"} 0.412"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_used_ratio{resource=\"swap\"} 0.035"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_used_ratio{resource=\"disk\",path=\"/var\"} 0.72"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_used_ratio{resource=\"inodes\",path=\"/var\"} 0.015"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_threshold_ratio{resource=\"disk\",path=\"/var\"} 0.8"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_over_threshold{resource=\"memory\"} 0"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_measured{resource=\"swap\"} 1"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resources_check_timestamp_seconds 1700000000"));
    EXPECT_TRUE(has_line(text, "# TYPE nginx_trace_resource_used_ratio gauge"));
    EXPECT_EQ(text.find("time_to_full"), std::string::npos) << "no family without samples";
    EXPECT_EQ(text.back(), '\n');
}

TEST(Textfile, FamiliesAreTogetherWithHelpAndTypeFirst) {
    std::vector<Measurement> m = {measured("memory", "memory", 41.2, 85),
                                  measured("space:/", "/", 90, 85)};
    std::string text = prometheus_text(m, {}, 1);
    std::istringstream in(text);
    std::string current;
    std::map<std::string, int> seen;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# HELP ", 0) == 0) {
            current = line.substr(7, line.find(' ', 7) - 7);
            EXPECT_EQ(seen[current]++, 0) << current << " appears twice";
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            EXPECT_EQ(line, "# TYPE " + current + " gauge");
            continue;
        }
        EXPECT_EQ(line.rfind(current, 0), 0u) << line << " outside its family " << current;
    }
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_over_threshold{resource=\"disk\",path=\"/\"} 1"));
}

TEST(Textfile, UnmeasuredHasNoValue) {
    Measurement broken = measured("space:/data", "/data", 0, 85);
    broken.error = "Permission denied";
    std::string text = prometheus_text({broken}, {}, 1);
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_measured{resource=\"disk\",path=\"/data\"} 0"));
    EXPECT_EQ(text.find("nginx_trace_resource_used_ratio{"), std::string::npos)
        << "no number rather than a false 0";
}

TEST(Textfile, ForecastOnlyWhereThereIsOne) {
    TrendCheck filling{measured("trend:/var", "/var", 72, 85), {}};
    filling.forecast.evaluated = true;
    filling.forecast.seconds_to_full = 10800.4;
    filling.forecast.warns = true;
    TrendCheck steady{measured("trend:/", "/", 40, 85), {}};
    steady.forecast.evaluated = true;
    TrendCheck young{measured("trend:/srv", "/srv", 40, 85), {}};
    std::string text = prometheus_text({}, {filling, steady, young}, 1);
    EXPECT_TRUE(has_line(text,
                         "nginx_trace_resource_time_to_full_seconds{resource=\"disk\",path=\"/var\"} 10800"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_predicted_full{resource=\"disk\",path=\"/var\"} 1"));
    EXPECT_TRUE(has_line(text, "nginx_trace_resource_predicted_full{resource=\"disk\",path=\"/\"} 0"));
    EXPECT_EQ(text.find("/srv"), std::string::npos) << "too few samples: nothing said";
    EXPECT_EQ(text.find("time_to_full_seconds{resource=\"disk\",path=\"/\"}"), std::string::npos);
}

TEST(Textfile, LabelValuesAreEscaped) {
    EXPECT_EQ(prometheus_label_value("/plain"), "/plain");
    EXPECT_EQ(prometheus_label_value("/a\"b\\c\nd"), "/a\\\"b\\\\c\\nd");
    EXPECT_EQ(prometheus_label_value("/caf\xc3\xa9"), "/caf\xc3\xa9");
    EXPECT_EQ(prometheus_label_value("/bad\xff"), "/bad\xef\xbf\xbd") << "not UTF-8: U+FFFD";
}

TEST_F(TextfileTest, ReplacesTheFileWholeAndReadable) {
    std::string written = write_textfile(dir_, "first 1\n");
    EXPECT_EQ(written, dir_ + "/nginx_trace_resources.prom");
    EXPECT_EQ(slurp(written), "first 1\n");
    EXPECT_EQ(write_textfile(dir_ + "/", "second 2\n"), written) << "a trailing slash is fine";
    EXPECT_EQ(slurp(written), "second 2\n");
    struct stat st {};
    ASSERT_EQ(::stat(written.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u) << "node_exporter runs as its own user";
    int files = 0;
    for (const auto &entry : std::filesystem::directory_iterator(dir_)) {
        (void)entry;
        ++files;
    }
    EXPECT_EQ(files, 1) << "no temporary file is left behind";
}

TEST_F(TextfileTest, AMissingDirectorySaysWhich) {
    try {
        write_textfile(dir_ + "/nope", "x 1\n");
        FAIL() << "no error";
    } catch (const TextfileError &e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot write " + dir_ + "/nope/nginx_trace_resources.prom: No such file or directory");
    }
}
