#include "app/time_text.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace trace_ctl {

namespace {

constexpr std::int64_t micros_per_second = 1000000;

// Splits into whole seconds and microseconds, rounding towards minus infinity so
// that times before 1970 still print the right second.
void split_micros(EpochMicros t, std::time_t &seconds, int &micros) {
    std::int64_t s = t / micros_per_second;
    std::int64_t us = t % micros_per_second;
    if (us < 0) {
        us += micros_per_second;
        --s;
    }
    seconds = static_cast<std::time_t>(s);
    micros = static_cast<int>(us);
}

// Reads exactly `count` decimal digits at `pos`.
bool read_digits(std::string_view text, size_t &pos, int count, int &out) {
    if (pos + count > text.size()) {
        return false;
    }
    int value = 0;
    for (int i = 0; i < count; ++i) {
        char c = text[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    pos += count;
    out = value;
    return true;
}

bool read_char(std::string_view text, size_t &pos, char expected) {
    if (pos < text.size() && text[pos] == expected) {
        ++pos;
        return true;
    }
    return false;
}

// Z, z, +HH, +HHMM, +HH:MM (or -); returns the offset east of UTC in seconds.
bool read_zone(std::string_view text, size_t &pos, long &offset) {
    if (read_char(text, pos, 'Z') || read_char(text, pos, 'z')) {
        offset = 0;
        return true;
    }
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) {
        return false;
    }
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int hours = 0;
    int minutes = 0;
    if (!read_digits(text, pos, 2, hours)) {
        return false;
    }
    if (pos < text.size()) {
        read_char(text, pos, ':');
        if (!read_digits(text, pos, 2, minutes)) {
            return false;
        }
    }
    if (hours > 23 || minutes > 59) {
        return false;
    }
    offset = sign * (hours * 3600L + minutes * 60L);
    return true;
}

}  // namespace

std::string epoch_micros_sql(const std::string &expression) {
    return "(extract(epoch FROM " + expression + ") * 1000000)::bigint";
}

std::string format_local_time(EpochMicros t) {
    std::time_t seconds = 0;
    int micros = 0;
    split_micros(t, seconds, micros);
    std::tm tm{};
    if (localtime_r(&seconds, &tm) == nullptr) {
        return "?";
    }
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string format_utc_time(EpochMicros t) {
    std::time_t seconds = 0;
    int micros = 0;
    split_micros(t, seconds, micros);
    std::tm tm{};
    if (gmtime_r(&seconds, &tm) == nullptr) {
        return "?";
    }
    char buf[40];
    size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof(buf) - n, ".%06dZ", micros);
    return buf;
}

std::optional<EpochMicros> parse_time(std::string_view text) {
    size_t pos = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!read_digits(text, pos, 4, year) || !read_char(text, pos, '-') ||
        !read_digits(text, pos, 2, month) || !read_char(text, pos, '-') ||
        !read_digits(text, pos, 2, day)) {
        return std::nullopt;
    }
    std::int64_t fraction_us = 0;
    if (read_char(text, pos, 'T') || read_char(text, pos, 't') || read_char(text, pos, ' ')) {
        if (!read_digits(text, pos, 2, hour) || !read_char(text, pos, ':') ||
            !read_digits(text, pos, 2, minute)) {
            return std::nullopt;
        }
        if (read_char(text, pos, ':')) {
            if (!read_digits(text, pos, 2, second)) {
                return std::nullopt;
            }
            if (read_char(text, pos, '.')) {
                int scale = 100000;
                size_t first = pos;
                while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                    fraction_us += (text[pos] - '0') * scale;  // digits past 6 add 0
                    scale /= 10;
                    ++pos;
                }
                if (pos == first) {
                    return std::nullopt;
                }
            }
        }
    }
    long offset = 0;
    bool has_zone = pos < text.size();
    if (has_zone && !read_zone(text, pos, offset)) {
        return std::nullopt;
    }
    if (pos != text.size() || year < 1900 || month < 1 || month > 12 || day < 1 || day > 31 ||
        hour > 23 || minute > 59 || second > 59) {
        return std::nullopt;
    }

    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    std::time_t seconds = has_zone ? timegm(&tm) - offset : std::mktime(&tm);
    // mktime and timegm roll 2024-02-30 over to March; such a day does not exist.
    if (tm.tm_mday != day || tm.tm_mon != month - 1) {
        return std::nullopt;
    }
    return static_cast<EpochMicros>(seconds) * micros_per_second + fraction_us;
}

std::string format_duration(std::string_view seconds) {
    std::string text(seconds);
    char *end = nullptr;
    double s = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0' || !std::isfinite(s) || s < 0) {
        return text;
    }
    char buf[32];
    double ms = s * 1000;
    if (ms < 99.95) {
        std::snprintf(buf, sizeof(buf), "%.1fms", ms);
    } else if (ms < 999.5) {
        std::snprintf(buf, sizeof(buf), "%.0fms", ms);
    } else if (s < 9.995) {
        std::snprintf(buf, sizeof(buf), "%.2fs", s);
    } else if (s < 59.95) {
        std::snprintf(buf, sizeof(buf), "%.1fs", s);
    } else if (s < 3600) {
        long whole = static_cast<long>(s);
        std::snprintf(buf, sizeof(buf), "%ldm%02lds", whole / 60, whole % 60);
    } else if (s < 100 * 3600) {
        long whole = static_cast<long>(s);
        std::snprintf(buf, sizeof(buf), "%ldh%02ldm", whole / 3600, whole % 3600 / 60);
    } else {
        std::snprintf(buf, sizeof(buf), "%.0fd", std::floor(s / 86400));
    }
    return buf;
}

std::string format_age(double seconds) {
    if (!std::isfinite(seconds)) {
        return "?";
    }
    bool future = seconds < 0;
    double s = std::fabs(seconds);
    if (s < 1) {
        return "just now";
    }
    struct Unit {
        double seconds;
        const char *name;
    };
    static const Unit units[] = {{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
    for (const Unit &u : units) {
        if (s >= u.seconds) {
            long count = static_cast<long>(std::floor(s / u.seconds));
            return std::to_string(count) + " " + u.name + (future ? " in the future" : " ago");
        }
    }
    return "just now";
}

}  // namespace trace_ctl
