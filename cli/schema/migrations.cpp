#include "schema/migrations.hpp"

#include "common/hex.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <map>

namespace trace_ctl {

std::string sha256_hex(std::string_view data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
        throw MigrationError("SHA-256 failed");
    }
    return trace::to_hex(digest, len);
}

std::vector<Migration> parse_migrations(const std::vector<SqlFile> &files) {
    std::vector<Migration> out;
    std::map<int, std::string> seen;
    for (const SqlFile &f : files) {
        std::string_view name = f.file_name;
        size_t digits = 0;
        while (digits < name.size() && std::isdigit(static_cast<unsigned char>(name[digits]))) {
            ++digits;
        }
        const std::string_view suffix = ".sql";
        if (digits == 0 || digits > 9 || digits >= name.size() || name[digits] != '_' ||
            name.size() <= digits + 1 + suffix.size() ||
            name.substr(name.size() - suffix.size()) != suffix) {
            throw MigrationError("migration file \"" + std::string(name) +
                                 "\" is not named NNNN_name.sql");
        }
        Migration m;
        m.version = std::stoi(std::string(name.substr(0, digits)));
        m.name = std::string(name.substr(digits + 1, name.size() - digits - 1 - suffix.size()));
        m.file_name = std::string(name);
        m.sql = std::string(f.text);
        m.checksum = sha256_hex(f.text);
        auto [it, inserted] = seen.emplace(m.version, m.file_name);
        if (!inserted) {
            throw MigrationError("migrations \"" + it->second + "\" and \"" + m.file_name +
                                 "\" have the same version");
        }
        out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(),
              [](const Migration &a, const Migration &b) { return a.version < b.version; });
    return out;
}

MigrationPlan plan_migrations(const std::vector<Migration> &available,
                              const std::vector<AppliedMigration> &applied) {
    MigrationPlan plan;
    std::map<int, const AppliedMigration *> done;
    for (const auto &a : applied) {
        done[a.version] = &a;
    }
    std::map<int, const Migration *> known;
    for (const auto &m : available) {
        known[m.version] = &m;
    }
    for (const auto &[version, a] : done) {
        auto it = known.find(version);
        if (it == known.end()) {
            plan.problems.push_back("the database has migration " + std::to_string(version) +
                                    " (" + a->name +
                                    ") that this trace-ctl does not carry: use a newer trace-ctl");
        } else if (it->second->checksum != a->checksum) {
            plan.problems.push_back(
                "migration " + it->second->file_name + " was applied with checksum " +
                a->checksum.substr(0, 12) + "... but the file now has " +
                it->second->checksum.substr(0, 12) +
                "...: applied migrations are never edited, add a new one instead");
        }
    }
    int newest_applied = done.empty() ? 0 : done.rbegin()->first;
    for (const auto &m : available) {
        if (done.count(m.version) != 0) {
            continue;
        }
        // 0000, the ledger, came with a release after databases that trace-ctl
        // had given the ledger itself: missing there, it is recorded late.
        if (m.version < newest_applied && m.version != 0) {
            plan.problems.push_back("migration " + m.file_name +
                                    " was never applied, but a newer one (" +
                                    std::to_string(newest_applied) +
                                    ") was: the database's history differs from this trace-ctl's");
        }
        plan.pending.push_back(m);
    }
    return plan;
}

}  // namespace trace_ctl
