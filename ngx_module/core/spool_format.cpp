#include "spool_format.hpp"

#include <zlib.h>

#include <initializer_list>

namespace trace {

namespace {

constexpr std::uint32_t record_magic = 0x3242544E;  // "NTB2" read little-endian

void put32(std::string &out, std::uint32_t v) {
    char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 24)};
    out.append(b, 4);
}

std::uint32_t get32(const char *p) {
    auto u = [p](int i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])); };
    return u(0) | (u(1) << 8) | (u(2) << 16) | (u(3) << 24);
}

std::uint32_t crc_of(std::initializer_list<std::string_view> parts) {
    uLong crc = crc32(0L, Z_NULL, 0);
    for (std::string_view s : parts) {
        // zlib takes uInt lengths; records are bounded far below 4 GB.
        crc = crc32(crc, reinterpret_cast<const Bytef *>(s.data()), static_cast<uInt>(s.size()));
    }
    return static_cast<std::uint32_t>(crc);
}

// The header's own fields: table, host length, row count, id and rows lengths.
constexpr std::size_t fields_offset = 4;
constexpr std::size_t fields_size = 16;

}  // namespace

void encode_spool_record(std::string &out, const Batch &batch) {
    std::string_view host = std::string_view(batch.host).substr(0, spool_max_host);
    std::string fields;
    fields += static_cast<char>(batch.table);
    fields += static_cast<char>(host.size());
    fields.append(2, '\0');
    put32(fields, batch.row_count);
    put32(fields, static_cast<std::uint32_t>(batch.id.size()));
    put32(fields, static_cast<std::uint32_t>(batch.rows.size()));
    put32(out, record_magic);
    out += fields;
    put32(out, crc_of({fields}));
    put32(out, crc_of({batch.id, host, batch.rows}));
    out += batch.id;
    out += host;
    out += batch.rows;
}

std::size_t spool_record_length(std::string_view header) {
    if (header.size() < spool_record_header || get32(header.data()) != record_magic) {
        return 0;
    }
    std::string_view fields = header.substr(fields_offset, fields_size);
    if (crc_of({fields}) != get32(header.data() + 20)) {
        return 0;
    }
    unsigned char table = static_cast<unsigned char>(header[4]);
    std::size_t host_len = static_cast<unsigned char>(header[5]);
    std::uint32_t id_len = get32(header.data() + 12);
    std::uint32_t rows_len = get32(header.data() + 16);
    if ((table != static_cast<unsigned char>(Table::requests) &&
         table != static_cast<unsigned char>(Table::audit)) ||
        header[6] != 0 || header[7] != 0 || id_len == 0 || id_len > spool_max_id ||
        rows_len > spool_max_rows) {
        return 0;
    }
    return spool_record_header + id_len + host_len + rows_len;
}

SpoolRead decode_spool_record(std::string_view data, Batch &batch, std::size_t &used) {
    if (data.size() < spool_record_header) {
        return SpoolRead::incomplete;
    }
    std::size_t length = spool_record_length(data.substr(0, spool_record_header));
    if (length == 0) {
        return SpoolRead::corrupt;
    }
    if (data.size() < length) {
        return SpoolRead::incomplete;  // a sound header, the rest never written
    }
    std::uint32_t id_len = get32(data.data() + 12);
    std::size_t host_len = static_cast<unsigned char>(data[5]);
    std::string_view id = data.substr(spool_record_header, id_len);
    std::string_view host = data.substr(spool_record_header + id_len, host_len);
    std::string_view rows = data.substr(spool_record_header + id_len + host_len,
                                        length - spool_record_header - id_len - host_len);
    if (crc_of({id, host, rows}) != get32(data.data() + 24)) {
        return SpoolRead::corrupt;
    }
    // A record is whole rows: as many line ends as it claims rows, the last
    // one closing it.
    std::uint32_t row_count = get32(data.data() + 8);
    std::size_t lines = 0;
    for (char c : rows) {
        lines += c == '\n';
    }
    if (lines != row_count || (!rows.empty() && rows.back() != '\n')) {
        return SpoolRead::corrupt;
    }
    batch.table = static_cast<Table>(static_cast<unsigned char>(data[4]));
    batch.row_count = row_count;
    batch.id.assign(id);
    batch.host.assign(host);
    batch.rows.assign(rows);
    used = length;
    return SpoolRead::ok;
}

}  // namespace trace
