// The on-disk form of a spooled batch. A spool file is a header followed by
// records; each record carries its batch id, host, table and rows, and two
// CRC-32s: one of its header, so that a damaged length is told from a record
// whose writer stopped mid-write (a torn tail: a sound header, too few bytes),
// and one of the rest, so that nothing damaged is ever replayed.
//
//   file:   "NTSPOOL2"
//   record: u32 magic "NTB2" | u8 table | u8 host_len | u8[2] zero |
//           u32 row_count | u32 id_len | u32 rows_len |
//           u32 crc32(the 16 bytes before it) | u32 crc32(id, host, rows) |
//           id | host | rows
//   (integers little-endian)

#ifndef TRACE_CORE_SPOOL_FORMAT_HPP
#define TRACE_CORE_SPOOL_FORMAT_HPP

#include "batch.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace trace {

inline constexpr std::string_view spool_file_magic = "NTSPOOL2";
inline constexpr std::size_t spool_record_header = 28;
inline constexpr std::size_t spool_max_id = 256;
inline constexpr std::size_t spool_max_host = 255;
inline constexpr std::size_t spool_max_rows = 256 * 1024 * 1024;

// Appends the record for `batch` to out.
void encode_spool_record(std::string &out, const Batch &batch);

enum class SpoolRead {
    ok,          // a record was decoded
    incomplete,  // the data ends inside a record (or before one): a torn tail
    corrupt,     // not a record: bad magic, impossible lengths or CRC mismatch
};

// Decodes the record at the start of `data`; on ok sets batch and `used`.
SpoolRead decode_spool_record(std::string_view data, Batch &batch, std::size_t &used);

// Given only the header bytes, how long the whole record is (0: not a sound
// header).
std::size_t spool_record_length(std::string_view header);

}  // namespace trace

#endif
