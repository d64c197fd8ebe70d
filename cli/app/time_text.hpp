// Times as trace-ctl reads and writes them. Internally a time is microseconds
// since the Unix epoch (what the queries select), so that formatting for people
// (the local zone) and for programs (RFC 3339, UTC) happens here, in one place,
// and not in PostgreSQL's session time zone.

#ifndef TRACE_CTL_APP_TIME_TEXT_HPP
#define TRACE_CTL_APP_TIME_TEXT_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace trace_ctl {

using EpochMicros = std::int64_t;

// The SQL that selects a timestamptz expression as EpochMicros.
std::string epoch_micros_sql(const std::string &expression);

// "2024-05-01 14:03:07" in the local time zone (TZ, else /etc/localtime).
std::string format_local_time(EpochMicros t);

// "2024-05-01T12:03:07.123456Z": RFC 3339 in UTC, always six decimals.
std::string format_utc_time(EpochMicros t);

// Parses what people type as a point in time: YYYY-MM-DD, optionally followed by
// [T or space]HH:MM[:SS[.fraction]], optionally followed by Z or an offset
// (+02:00, +0200, -05). Without a zone the time is local. Returns nullopt when
// the text is not such a time or names a day that does not exist.
std::optional<EpochMicros> parse_time(std::string_view text);

// "850ms", "12.3ms", "1.25s", "3m20s", "2h05m": how long a request took, in at
// most 7 characters for a column. `seconds` is extract(epoch FROM interval) text;
// text that is not a number comes back unchanged.
std::string format_duration(std::string_view seconds);

// "4 s ago", "12 min ago", "3 h ago", "5 d ago" (rounded down), "just now", or
// "12 min in the future" for a clock that runs ahead.
std::string format_age(double seconds);

}  // namespace trace_ctl

#endif
