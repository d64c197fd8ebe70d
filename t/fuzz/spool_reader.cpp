// The spool reader (what a worker does with spool files left by an earlier
// one) on a file of arbitrary bytes. Invariants:
// - it never crashes, and replays exactly the valid records at the start of
//   the file, in order: a reference walk, which checks each record's CRC-32
//   with zlib, says which; nothing whose CRC does not match is ever replayed;
// - what follows them decides the file's fate: the end of the file, and it
//   is removed; a torn record (a sound header, and the file ends inside the
//   record), and it is removed with a warning; anything else (a foreign file,
//   a damaged header or body), and it is kept aside as *.corrupt and reported
//   as an error;
// - beside the file there may be a replay hint (what a worker that stopped
//   halfway leaves: the offset of the first batch not committed). Replay
//   resumes there exactly when the hint is 1 to 19 decimal digits (and a
//   newline) naming the start of a record that a walk over sound headers from
//   the top reaches; then everything above is as for the file from that
//   offset on. Any other hint is ignored. The hint never outlives the file.

#include "fuzz_support.hpp"
#include "spool.hpp"
#include "spool_format.hpp"
#include "trace_core.h"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

enum class Fate { removed, removed_torn, kept_corrupt };

struct Expected {
    std::vector<std::pair<std::string, std::string>> batches;  // id, rows
    Fate fate;
};

// The file, walked with the reference reading of the format (fuzz_support.hpp).
Expected reference_walk(std::string_view file) {
    Expected e{{}, Fate::removed};
    if (file.empty()) {
        return e;
    }
    if (file.substr(0, 8) != "NTSPOOL2") {
        e.fate = Fate::kept_corrupt;
        return e;
    }
    std::string_view rest = file.substr(8);
    while (!rest.empty()) {
        if (rest.size() < 28) {
            e.fate = Fate::removed_torn;
            return e;
        }
        std::size_t length = fuzz::spool_record_length(rest.substr(0, 28));
        if (length == 0) {
            e.fate = Fate::kept_corrupt;
            return e;
        }
        if (rest.size() < length) {
            e.fate = Fate::removed_torn;  // a sound header, the rest never written
            return e;
        }
        std::size_t body_len = length - 28;
        std::uint32_t id_len = fuzz::le32(rest, 12);
        std::size_t host_len = static_cast<unsigned char>(rest[5]);
        std::string_view id = rest.substr(28, id_len);
        std::string_view rows = rest.substr(28 + id_len + host_len, body_len - id_len - host_len);
        std::size_t lines = 0;
        for (char c : rows) {
            lines += c == '\n';
        }
        if (fuzz::crc_of(rest.substr(28, body_len)) != fuzz::le32(rest, 24) ||
            lines != fuzz::le32(rest, 8) ||
            (!rows.empty() && rows.back() != '\n')) {
            e.fate = Fate::kept_corrupt;
            return e;
        }
        e.batches.emplace_back(std::string(id), std::string(rows));
        rest.remove_prefix(length);
    }
    return e;
}

// Where the records start, walking only their headers from the top; what a
// hint may name.
std::vector<std::size_t> header_walk(std::string_view file) {
    std::vector<std::size_t> starts;
    if (file.substr(0, 8) != "NTSPOOL2") {
        return starts;
    }
    std::size_t at = 8;
    while (file.size() - at >= 28) {
        std::size_t length = fuzz::spool_record_length(file.substr(at, 28));
        if (length == 0) {
            break;
        }
        at += length;
        if (at >= file.size()) {
            break;
        }
        starts.push_back(at);
    }
    return starts;
}

// The offset a hint names, when it is well-formed.
std::optional<std::size_t> hint_offset(const std::string &hint) {
    std::string digits = hint;
    if (!digits.empty() && digits.back() == '\n') {
        digits.pop_back();
    }
    if (digits.empty() || digits.size() > 19 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    std::size_t first = digits.find_first_not_of('0');
    if (first == std::string::npos) {
        return 0;
    }
    if (digits.size() - first > 12) {
        return std::numeric_limits<std::size_t>::max();  // far beyond any input
    }
    return static_cast<std::size_t>(std::stoull(digits.substr(first)));
}

const std::string &scratch_dir() {
    static const std::string dir = [] {
        std::string tmpl = (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        tmpl += "/trace-fuzz-spool-XXXXXX";
        FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr);
        return tmpl;
    }();
    return dir;
}

std::vector<std::string> list_and_clear(const std::string &dir) {
    std::vector<std::string> names;
    DIR *d = opendir(dir.c_str());
    FUZZ_CHECK(d != nullptr);
    while (dirent *e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") {
            names.push_back(n);
            unlink((dir + "/" + n).c_str());
        }
    }
    closedir(d);
    return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FuzzedDataProvider provider(data, size);
    // Mostly a file that starts right, so that the fuzzer reaches the records.
    bool magic = provider.ConsumeBool();
    // The hint: none, any text, a record's start, or next to one.
    int hint_kind = provider.ConsumeIntegralInRange(0, 3);
    std::size_t pick = provider.ConsumeIntegral<std::uint8_t>();
    std::string any_text = hint_kind == 1 ? provider.ConsumeRandomLengthString(32) : "";
    std::string file = magic ? "NTSPOOL2" : "";
    file += provider.ConsumeRemainingBytesAsString();

    std::vector<std::size_t> starts = header_walk(file);
    std::optional<std::string> hint;
    if (hint_kind == 1) {
        hint = any_text;
    } else if (hint_kind >= 2 && !starts.empty()) {
        std::size_t start = starts[pick % starts.size()];
        hint = std::to_string(hint_kind == 2 ? start : start + (pick & 1 ? 1 : -1)) + "\n";
    }

    const std::string &dir = scratch_dir();
    const std::string name = "trace-00000000000000000001-1-1.spool";
    int fd = open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(write(fd, file.data(), file.size()) == static_cast<ssize_t>(file.size()));
    close(fd);
    if (hint) {
        fd = open((dir + "/" + name + ".replayed").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        FUZZ_CHECK(fd >= 0);
        FUZZ_CHECK(write(fd, hint->data(), hint->size()) == static_cast<ssize_t>(hint->size()));
        close(fd);
    }

    std::vector<std::pair<std::string, std::string>> replayed;
    int warnings = 0, errors = 0;
    {
        trace::SpoolConfig config;
        config.dir = dir;
        trace::Spool spool(config, [&](int level, const std::string &) {
            warnings += level == TRACE_LOG_WARN;
            errors += level == TRACE_LOG_ERR;
        });
        trace::Batch batch;
        while (spool.peek(batch)) {
            replayed.emplace_back(batch.id, batch.rows);
            spool.advance();
            FUZZ_CHECK(replayed.size() <= file.size());  // it always moves on
        }
        FUZZ_CHECK(!spool.has_backlog());
    }

    std::optional<std::size_t> resume = hint ? hint_offset(*hint) : std::nullopt;
    bool resumes = resume && std::find(starts.begin(), starts.end(), *resume) != starts.end();
    Expected expected =
        reference_walk(resumes ? "NTSPOOL2" + file.substr(*resume) : file);
    FUZZ_CHECK(replayed == expected.batches);
    std::vector<std::string> left = list_and_clear(dir);
    switch (expected.fate) {
    case Fate::removed:
        FUZZ_CHECK(left.empty() && warnings == 0 && errors == 0);
        break;
    case Fate::removed_torn:
        FUZZ_CHECK(left.empty() && warnings == 1 && errors == 0);
        break;
    case Fate::kept_corrupt:
        FUZZ_CHECK(left.size() == 1 && left[0] == name + ".corrupt" && errors == 1);
        break;
    }
    return 0;
}
