// trace-ctl's configuration loader on any text an operator (or a broken
// editor) can leave in /etc/nginx/trace.toml. Invariants:
// - parse_config() returns or throws ConfigError; nothing else escapes (a
//   toml++ exception, std::bad_variant_access, ...) and nothing crashes;
// - an error is one line that names the file;
// - what it returns respects the documented ranges, so that no command has to
//   check them again.

#include "app/config.hpp"
#include "fuzz_support.hpp"

#include <cmath>

namespace {

bool one_line(const std::string &s) { return s.find_first_of("\r\n") == std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string text(reinterpret_cast<const char *>(data), size);
    const std::string origin = "fuzz.toml";
    trace_ctl::Config c;
    try {
        c = trace_ctl::parse_config(text, origin);
    } catch (const trace_ctl::ConfigError &e) {
        std::string what = e.what();
        FUZZ_CHECK(what.compare(0, origin.size(), origin) == 0);
        return 0;
    } catch (...) {
        FUZZ_CHECK(!"parse_config threw something other than ConfigError");
    }
    FUZZ_CHECK(c.source == origin);
    for (double pct : {c.memory_threshold, c.disk_threshold, c.inode_threshold.value_or(0)}) {
        FUZZ_CHECK(std::isfinite(pct) && pct >= 0 && pct <= 100);
    }
    FUZZ_CHECK(c.max_log_count >= 0 && c.max_audit_count.value_or(0) >= 0);
    FUZZ_CHECK(c.batch_retention_days >= 1 && c.batch_retention_days <= 36500);
    FUZZ_CHECK(c.quiet_time_minutes >= 0);
    FUZZ_CHECK(!c.host || (!c.host->empty() && one_line(*c.host)));
    for (const std::string &address : c.warning_emails) {
        FUZZ_CHECK(one_line(address) && address.find('@') != std::string::npos);
    }
    FUZZ_CHECK(c.smtp.port >= 0 && c.smtp.port <= 65535);
    FUZZ_CHECK(c.smtp.timeout_seconds >= 1 && c.smtp.timeout_seconds <= 3600);
    FUZZ_CHECK(!c.smtp.host.empty() && one_line(c.smtp.host));
    FUZZ_CHECK(c.smtp.from.empty() || (one_line(c.smtp.from) && c.smtp.from.find('@') != std::string::npos));
    for (const std::string *s : {&c.state_file, &c.session_key_file, &c.status_url,
                                 &c.smtp.user, &c.smtp.password_file, &c.smtp.ca_file}) {
        FUZZ_CHECK(s->find('\0') == std::string::npos);
    }
    FUZZ_CHECK(!c.database || c.database->find('\0') == std::string::npos);
    return 0;
}
