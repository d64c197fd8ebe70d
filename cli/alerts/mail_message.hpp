// An RFC 5322 message as text: CRLF line ends, the headers every mail reader
// expects, and header values that cannot smuggle in more headers.

#ifndef TRACE_CTL_ALERTS_MAIL_MESSAGE_HPP
#define TRACE_CTL_ALERTS_MAIL_MESSAGE_HPP

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace trace_ctl {

struct MailMessage {
    std::string from;             // one address
    std::vector<std::string> to;  // addresses
    std::string subject;          // any text; encoded and folded as needed
    std::string body;             // text with \n or \r\n line ends; sent as UTF-8
    std::string date;             // an RFC 5322 date (rfc5322_date)
    std::string message_id;       // <...@...> (make_message_id)
};

// "Tue, 07 May 2024 14:03:00 +0200": English names whatever the locale.
// `utc_offset_seconds` is the zone of `local`.
std::string rfc5322_date(const std::tm &local, long utc_offset_seconds);

// rfc5322_date of `t` in the machine's time zone.
std::string rfc5322_date_now(std::time_t t);

// <unique@domain>, unique from the time, the process and `random_part`.
std::string make_message_id(std::time_t t, long pid, std::string_view random_part,
                            std::string_view domain);

// A header value made safe: control characters (CR and LF above all) become
// spaces; text that is not plain ASCII becomes RFC 2047 encoded words; long
// values are folded onto continuation lines. `name_length` is the length of
// "Subject" etc., so that the first line stays short too.
std::string encode_header_value(std::string_view value, size_t name_length);

// The message, headers then body, every line ending in CRLF. Throws
// std::invalid_argument for an address with a line break or without '@'.
std::string build_message(const MailMessage &message);

}  // namespace trace_ctl

#endif
