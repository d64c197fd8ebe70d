// Validation of the trace_db connection string, at configuration time.

#include "trace_core.h"

#include "errbuf.hpp"
#include "guard.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <memory>
#include <string>

namespace {

struct ConninfoOptionsDeleter {
    void operator()(PQconninfoOption *options) const { PQconninfoFree(options); }
};

struct PqFreeDeleter {
    void operator()(char *p) const { PQfreemem(p); }
};

}  // namespace

extern "C" int trace_conninfo_check(const char *conninfo, char *err, size_t errlen) {
    return trace::guarded(trace::ToErrBuf{err, errlen}, -1, [&] {
        char *raw_error = nullptr;
        std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(
            PQconninfoParse(conninfo, &raw_error));
        std::unique_ptr<char, PqFreeDeleter> error(raw_error);
        if (!options) {
            std::string reason = error ? error.get() : "out of memory";
            while (!reason.empty() && (reason.back() == '\n' || reason.back() == ' ')) {
                reason.pop_back();
            }
            trace::write_error(err, errlen, reason);
            return -1;
        }
        for (const PQconninfoOption *o = options.get(); o->keyword; ++o) {
            if (std::strcmp(o->keyword, "password") == 0 && o->val && *o->val) {
                trace::write_error(err, errlen,
                                   "a password does not belong in a connection string "
                                   "(it would show in nginx.conf or ps); put it in a passfile "
                                   "(passfile=... or ~/.pgpass)");
                return -1;
            }
        }
        return 0;
    });
}
