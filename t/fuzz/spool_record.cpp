// The spool record decoder on arbitrary bytes (a corrupted or hostile file).
// Invariants:
// - a record is decoded only when both CRC-32s, recomputed here with zlib (of
//   the header's fields, and of id, host and rows), match the stored ones; it
//   then re-encodes to exactly the bytes it was decoded from, and holds as
//   many rows as it says;
// - `used` never runs past the data, and agrees with spool_record_length();
// - any batch survives encode -> decode unchanged; each shorter prefix of its
//   record is "incomplete" (a torn tail), never a record or "corrupt"; a
//   record with any one flipped bit is never accepted (CRC-32 catches every
//   single-bit error, and the header has its own).

#include "fuzz_support.hpp"
#include "spool_format.hpp"

#include <fuzzer/FuzzedDataProvider.h>

namespace {

void check_decode_of_any_bytes(std::string_view data) {
    trace::Batch batch;
    std::size_t used = SIZE_MAX;
    trace::SpoolRead r = trace::decode_spool_record(data, batch, used);
    if (r != trace::SpoolRead::ok) {
        return;
    }
    FUZZ_CHECK(used >= trace::spool_record_header && used <= data.size());
    FUZZ_CHECK(used == trace::spool_record_length(data.substr(0, trace::spool_record_header)));
    std::string_view record = data.substr(0, used);
    std::size_t host_len = static_cast<unsigned char>(record[5]);
    std::size_t id_len = fuzz::le32(record, 12), rows_len = fuzz::le32(record, 16);
    std::size_t header = trace::spool_record_header;
    FUZZ_CHECK(header + id_len + host_len + rows_len == used);
    FUZZ_CHECK(fuzz::crc_of(record.substr(4, 16)) == fuzz::le32(record, 20));
    FUZZ_CHECK(fuzz::crc_of(record.substr(header)) == fuzz::le32(record, 24));
    FUZZ_CHECK(batch.id == record.substr(header, id_len));
    FUZZ_CHECK(batch.host == record.substr(header + id_len, host_len));
    FUZZ_CHECK(batch.rows == record.substr(header + id_len + host_len));
    std::size_t lines = 0;
    for (char c : batch.rows) {
        lines += c == '\n';
    }
    FUZZ_CHECK(lines == batch.row_count);
    std::string again;
    trace::encode_spool_record(again, batch);
    FUZZ_CHECK(again == record);
}

void check_round_trip(FuzzedDataProvider &provider) {
    trace::Batch batch;
    batch.table = provider.ConsumeBool() ? trace::Table::requests : trace::Table::audit;
    batch.id = provider.ConsumeRandomLengthString(trace::spool_max_id);
    if (batch.id.empty()) {
        batch.id = "x";
    }
    batch.host = provider.ConsumeRandomLengthString(trace::spool_max_host);
    std::size_t rows = provider.ConsumeIntegralInRange<std::size_t>(0, 8);
    for (std::size_t i = 0; i < rows; ++i) {
        std::string row = provider.ConsumeRandomLengthString(64);
        for (char &c : row) {
            c = c == '\n' ? ' ' : c;
        }
        batch.rows += row + "\n";
    }
    batch.row_count = static_cast<std::uint32_t>(rows);
    std::size_t flip_at = provider.ConsumeIntegral<std::size_t>();
    unsigned char flip_bit = static_cast<unsigned char>(1u << provider.ConsumeIntegralInRange(0, 7));

    std::string record;
    trace::encode_spool_record(record, batch);
    trace::Batch decoded;
    std::size_t used = 0;
    FUZZ_CHECK(trace::decode_spool_record(record, decoded, used) == trace::SpoolRead::ok);
    FUZZ_CHECK(used == record.size());
    FUZZ_CHECK(decoded.table == batch.table && decoded.id == batch.id &&
               decoded.host == batch.host && decoded.rows == batch.rows &&
               decoded.row_count == batch.row_count);

    std::size_t cut = flip_at % record.size();
    FUZZ_CHECK(trace::decode_spool_record(std::string_view(record).substr(0, cut), decoded,
                                          used) == trace::SpoolRead::incomplete);

    std::size_t at = flip_at % record.size();
    record[at] = static_cast<char>(record[at] ^ flip_bit);
    FUZZ_CHECK(trace::decode_spool_record(record, decoded, used) != trace::SpoolRead::ok);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_decode_of_any_bytes(std::string_view(reinterpret_cast<const char *>(data), size));
    FuzzedDataProvider provider(data, size);
    check_round_trip(provider);
    return 0;
}
