#include "common/conninfo.hpp"

#include "common/one_line.hpp"

#include <libpq-fe.h>

#include <cstring>
#include <memory>

namespace trace {

namespace {

struct ConninfoOptionsDeleter {
    void operator()(PQconninfoOption *options) const { PQconninfoFree(options); }
};

struct PqFreeDeleter {
    void operator()(char *p) const { PQfreemem(p); }
};

}  // namespace

std::optional<std::string> conninfo_problem(const std::string &conninfo) {
    char *raw_error = nullptr;
    std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(
        PQconninfoParse(conninfo.c_str(), &raw_error));
    std::unique_ptr<char, PqFreeDeleter> error(raw_error);
    if (!options) {
        return one_line(error ? error.get() : "out of memory");
    }
    for (const PQconninfoOption *o = options.get(); o->keyword; ++o) {
        if (std::strcmp(o->keyword, "password") == 0 && o->val && *o->val) {
            return std::string("a password does not belong in a connection string "
                               "(it would show in nginx.conf or ps); put it in a passfile "
                               "(passfile=... or ~/.pgpass)");
        }
    }
    return std::nullopt;
}

}  // namespace trace
