#include "request_blocks.hpp"

#include "common/block_summary.hpp"
#include "common/hex.hpp"
#include "row_encoder.hpp"

#include <algorithm>

namespace trace {

namespace {

// A bytea in its hex input form, '\x...'; the link doubles the backslash where
// its server's strings need it.
std::string bytea_literal(const std::string &bytes, const Link &link) {
    return link.literal(bytea_hex_text(bytes)) + "::bytea";
}

std::string timestamp_literal(std::int64_t epoch_us, const Link &link) {
    return link.literal(utc_timestamp_text(epoch_us)) + "::timestamptz";
}

}  // namespace

std::string summarised_request_columns() {
    return std::string(request_columns) + ", summarised";
}

std::string summarised_rows(std::string_view rows) {
    static constexpr std::string_view summarised_field = "\tt";
    std::string out;
    std::size_t lines = static_cast<std::size_t>(std::count(rows.begin(), rows.end(), '\n'));
    out.reserve(rows.size() + lines * summarised_field.size());
    std::size_t at = 0;
    while (at < rows.size()) {
        std::size_t nl = rows.find('\n', at);
        if (nl == std::string_view::npos) {  // never so in a batch; kept whole if it were
            out.append(rows.substr(at));
            break;
        }
        out.append(rows.substr(at, nl - at));
        out.append(summarised_field);
        out.push_back('\n');
        at = nl + 1;
    }
    return out;
}

std::string request_blocks_insert(const Batch &batch, const Link &link) {
    std::vector<BlockSummary> blocks = summarise_request_copy_text(batch.rows);
    if (blocks.empty()) {
        return {};
    }
    std::string host = link.literal(batch.host);
    std::string id = link.literal(batch.id);
    std::string sql =
        "INSERT INTO trace.request_blocks (host, batch_id, block, first_ts, last_ts, "
        "row_count, keys, grams) VALUES ";
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const BlockSummary &b = blocks[i];
        if (i != 0) {
            sql += ", ";
        }
        sql += "(" + host + ", " + id + ", " + std::to_string(i) + ", " +
               timestamp_literal(b.first_ts_us, link) + ", " +
               timestamp_literal(b.last_ts_us, link) + ", " + std::to_string(b.row_count) +
               ", " + bytea_literal(b.keys, link) + ", " + bytea_literal(b.grams, link) + ")";
    }
    return sql;
}

}  // namespace trace
