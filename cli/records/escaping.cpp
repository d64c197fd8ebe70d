#include "records/escaping.hpp"

#include "app/output_format.hpp"
#include "app/table_output.hpp"
#include "common/hex.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace trace_ctl {

namespace {

void append_hex_byte(std::string &out, unsigned char b) {
    char hex[4] = {'\\', 'x', trace::hex_digits[b >> 4], trace::hex_digits[b & 0xF]};
    out.append(hex, 4);
}

// Whether what is at `pos` (`len` bytes: a character, or one byte that is not
// UTF-8) must be escaped for a terminal.
bool drives_terminal_at(std::string_view text, std::size_t pos, std::size_t &len) {
    char32_t c = 0;
    len = decode_utf8(text, pos, c);
    if (len == 0) {
        len = 1;
        return true;
    }
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F);
}

std::size_t names_column(const std::vector<RecordColumn> &columns) {
    auto it = std::find_if(columns.begin(), columns.end(),
                           [](const RecordColumn &c) { return c.kind == ColumnKind::names; });
    return static_cast<std::size_t>(it - columns.begin());
}

}  // namespace

std::vector<std::string> escaped_names(const std::optional<std::string> &selected) {
    std::vector<std::string> names;
    if (!selected) {
        return names;
    }
    nlohmann::json list = nlohmann::json::parse(*selected, nullptr, false);
    if (!list.is_array()) {
        return names;
    }
    for (const auto &name : list) {
        if (name.is_string()) {
            names.push_back(name.get<std::string>());
        }
    }
    return names;
}

std::string stored_bytes(std::string_view stored, bool escaped) {
    if (!escaped) {
        return std::string(stored);
    }
    std::string out;
    out.reserve(stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (stored[i] == '\\' && i + 1 < stored.size() && stored[i + 1] == '\\') {
            out += '\\';
            i += 1;
        } else if (stored[i] == '\\' && i + 3 < stored.size() && stored[i + 1] == 'x' &&
                   trace::hex_digit_value(stored[i + 2]) >= 0 && trace::hex_digit_value(stored[i + 3]) >= 0) {
            out += static_cast<char>(trace::hex_digit_value(stored[i + 2]) << 4 | trace::hex_digit_value(stored[i + 3]));
            i += 3;
        } else {
            out += stored[i];
        }
    }
    return out;
}

bool stored_form(std::string_view bytes, std::string &out) {
    auto holdable = [&](std::size_t pos, std::size_t &len) {
        char32_t c = 0;
        len = decode_utf8(bytes, pos, c);
        return len > 0 && c != 0;
    };
    std::size_t len = 0;
    bool plain = true;
    for (std::size_t pos = 0; pos < bytes.size() && plain; pos += len) {
        plain = holdable(pos, len);
    }
    if (plain) {
        out.assign(bytes);
        return false;
    }
    out.clear();
    for (std::size_t pos = 0; pos < bytes.size(); pos += len) {
        if (!holdable(pos, len)) {
            len = 1;
            append_hex_byte(out, static_cast<unsigned char>(bytes[pos]));
        } else {
            out.append(bytes.substr(pos, len));
            if (bytes[pos] == '\\') {
                out += '\\';
            }
        }
    }
    return true;
}

bool could_drive_terminal(std::string_view bytes) {
    for (std::size_t pos = 0, len = 0; pos < bytes.size(); pos += len) {
        if (drives_terminal_at(bytes, pos, len)) {
            return true;
        }
    }
    return false;
}

std::string escape_for_terminal(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + 8);
    for (std::size_t pos = 0, len = 0; pos < bytes.size(); pos += len) {
        if (!drives_terminal_at(bytes, pos, len)) {
            out.append(bytes.substr(pos, len));
            if (bytes[pos] == '\\') {
                out += '\\';
            }
            continue;
        }
        for (std::size_t k = pos; k < pos + len; ++k) {
            append_hex_byte(out, static_cast<unsigned char>(bytes[k]));
        }
    }
    return out;
}

std::vector<bool> escaped_columns(const std::vector<RecordColumn> &columns, const RecordRow &row) {
    std::vector<bool> flags(columns.size(), false);
    std::size_t list = names_column(columns);
    if (list >= row.size()) {
        return flags;
    }
    for (const std::string &name : escaped_names(row[list])) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (columns[i].name == name && columns[i].kind == ColumnKind::text) {
                flags[i] = true;
            }
        }
    }
    return flags;
}

RecordRow decoded_row(const std::vector<RecordColumn> &columns, const RecordRow &row) {
    RecordRow out = row;
    std::vector<bool> escaped = escaped_columns(columns, row);
    for (std::size_t i = 0; i < out.size() && i < columns.size(); ++i) {
        if (escaped[i] && out[i]) {
            out[i] = stored_bytes(*out[i], true);
        }
    }
    return out;
}

RecordRow terminal_safe_row(const std::vector<RecordColumn> &columns, const RecordRow &row) {
    RecordRow out = decoded_row(columns, row);
    std::string names;
    for (std::size_t i = 0; i < out.size() && i < columns.size(); ++i) {
        if (!out[i] || !could_drive_terminal(*out[i])) {
            continue;
        }
        if (columns[i].kind == ColumnKind::text) {
            out[i] = escape_for_terminal(*out[i]);
            names += (names.empty() ? "" : " ") + columns[i].name;
        } else if (columns[i].kind == ColumnKind::json) {
            // PostgreSQL writes DEL and C1 controls of a jsonb as they are:
            // the same JSON with them as \u escapes, which means the same
            // value, so the column is not named escaped.
            nlohmann::ordered_json v = nlohmann::ordered_json::parse(*out[i], nullptr, false);
            if (!v.is_discarded()) {
                out[i] = json_text(v);
            }
        }
    }
    std::size_t list = names_column(columns);
    if (list < out.size()) {
        out[list] = names.empty() ? std::nullopt : std::optional<std::string>(names);
    }
    return out;
}

}  // namespace trace_ctl
