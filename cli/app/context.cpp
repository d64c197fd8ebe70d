#include "app/context.hpp"

namespace trace_ctl {

std::string Context::conninfo() const {
    if (!options.db.empty()) {
        return options.db;
    }
    if (config.database) {
        return *config.database;
    }
    return {};
}

}  // namespace trace_ctl
