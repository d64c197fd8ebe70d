#include "alerts/mail_message.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <stdexcept>

namespace trace_ctl {

namespace {

// RFC 5322 recommends lines of at most 78 characters; 998 is the hard limit.
constexpr size_t folded_line_length = 78;
// A subject longer than this says nothing a reader would read anyway.
constexpr size_t max_header_value = 600;
// 45 bytes are 60 base64 characters; with "=?UTF-8?B?" and "?=" an encoded
// word stays within RFC 2047's 75.
constexpr size_t encoded_word_bytes = 45;

bool is_ascii(std::string_view s) {
    for (unsigned char c : s) {
        if (c >= 0x80) {
            return false;
        }
    }
    return true;
}

std::string without_controls(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (unsigned char c : value) {
        char kept = (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
        // One space at a time, so that folding never leaves a blank line.
        if (kept != ' ' || out.empty() || out.back() != ' ') {
            out += kept;
        }
    }
    if (out.size() > max_header_value) {
        size_t cut = max_header_value;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
            --cut;  // never split a UTF-8 sequence
        }
        out.resize(cut);
        out += "...";
    }
    return out;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                            reinterpret_cast<const unsigned char *>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
}

// Non-ASCII text as a run of encoded words, one per folded line.
std::string encoded_words(std::string_view text) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t len = std::min(encoded_word_bytes, text.size() - pos);
        while (pos + len < text.size() && len > 1 &&
               (static_cast<unsigned char>(text[pos + len]) & 0xC0) == 0x80) {
            --len;  // end the word before a UTF-8 continuation byte
        }
        if (!out.empty()) {
            out += "\r\n ";
        }
        out += "=?UTF-8?B?" + base64(text.substr(pos, len)) + "?=";
        pos += len;
    }
    return out;
}

// Plain ASCII folded at spaces so that lines stay near 78 characters.
std::string folded(std::string_view text, size_t first_line_used) {
    std::string out;
    size_t line_length = first_line_used;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t space = text.find(' ', pos + 1);
        std::string_view word = text.substr(pos, space == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : space - pos);
        // `word` starts with its leading space, except at the very start.
        if (!out.empty() && line_length + word.size() > folded_line_length && word[0] == ' ') {
            out += "\r\n";
            line_length = 0;
        }
        out += word;
        line_length += word.size();
        pos += word.size();
    }
    return out;
}

void check_address(const std::string &address) {
    bool ok = !address.empty() && address.find('@') != std::string::npos;
    for (unsigned char c : address) {
        if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';') {
            ok = false;
        }
    }
    if (!ok) {
        throw std::invalid_argument("\"" + without_controls(address) +
                                    "\" is not one e-mail address");
    }
}

std::string address_list(const std::vector<std::string> &addresses, size_t first_line_used) {
    std::string out;
    size_t line_length = first_line_used;
    for (size_t i = 0; i < addresses.size(); ++i) {
        check_address(addresses[i]);
        if (i > 0) {
            out += ",";
            line_length += 1;
            if (line_length + 1 + addresses[i].size() > folded_line_length) {
                out += "\r\n";
                line_length = 0;
            }
            out += " ";
            line_length += 1;
        }
        out += addresses[i];
        line_length += addresses[i].size();
    }
    return out;
}

std::string crlf_body(std::string_view body) {
    std::string out;
    out.reserve(body.size() + body.size() / 40 + 2);
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < body.size() && body[i + 1] == '\n') {
                ++i;
            }
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) {
        out += "\r\n";
    }
    return out;
}

}  // namespace

std::string rfc5322_date(const std::tm &local, long utc_offset_seconds) {
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    long offset_minutes = (utc_offset_seconds < 0 ? -utc_offset_seconds : utc_offset_seconds) / 60;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
                  days[((local.tm_wday % 7) + 7) % 7], local.tm_mday,
                  months[((local.tm_mon % 12) + 12) % 12], local.tm_year + 1900, local.tm_hour,
                  local.tm_min, local.tm_sec, utc_offset_seconds < 0 ? '-' : '+',
                  offset_minutes / 60, offset_minutes % 60);
    return buf;
}

std::string rfc5322_date_now(std::time_t t) {
    std::tm local{};
    localtime_r(&t, &local);
    return rfc5322_date(local, local.tm_gmtoff);
}

std::string make_message_id(std::time_t t, long pid, std::string_view random_part,
                            std::string_view domain) {
    std::string safe_domain;
    for (char c : domain) {
        bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '.' || c == '-';
        safe_domain += allowed ? c : '-';
    }
    if (safe_domain.empty()) {
        safe_domain = "localhost";
    }
    return "<" + std::to_string(static_cast<long long>(t)) + "." + std::to_string(pid) + "." +
           std::string(random_part) + ".nginx-trace@" + safe_domain + ">";
}

std::string encode_header_value(std::string_view value, size_t name_length) {
    std::string clean = without_controls(value);
    if (!is_ascii(clean)) {
        return encoded_words(clean);
    }
    return folded(clean, name_length + 2);
}

std::string build_message(const MailMessage &m) {
    if (m.to.empty()) {
        throw std::invalid_argument("a mail needs at least one recipient");
    }
    check_address(m.from);
    std::string headers;
    headers += "Date: " + encode_header_value(m.date, 4) + "\r\n";
    headers += "From: " + m.from + "\r\n";
    headers += "To: " + address_list(m.to, 4) + "\r\n";
    headers += "Subject: " + encode_header_value(m.subject, 7) + "\r\n";
    headers += "Message-ID: " + encode_header_value(m.message_id, 10) + "\r\n";
    headers += "MIME-Version: 1.0\r\n";
    headers += "Content-Type: text/plain; charset=utf-8\r\n";
    headers += std::string("Content-Transfer-Encoding: ") + (is_ascii(m.body) ? "7bit" : "8bit") +
               "\r\n";
    // RFC 3834: no vacation replies to a machine.
    headers += "Auto-Submitted: auto-generated\r\n";
    return headers + "\r\n" + crlf_body(m.body);
}

}  // namespace trace_ctl
