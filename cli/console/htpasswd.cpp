#include "console/htpasswd.hpp"

#include "app/files.hpp"
#include "app/usage_error.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>

namespace trace_ctl {

namespace {

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) {
        return std::nullopt;
    }
    std::string out(text.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                            reinterpret_cast<const unsigned char *>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0) {
        return std::nullopt;
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    size_t padding = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
    out.resize(static_cast<size_t>(n) - padding);
    return out;
}

bool same(const std::string &a, const std::string &b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string crypt_hash(const std::string &password, const std::string &setting) {
    // struct crypt_data is tens of kilobytes: not for a thread's stack.
    auto data = std::make_unique<crypt_data>();
    const char *hash = crypt_r(password.c_str(), setting.c_str(), data.get());
    // On failure crypt_r returns NULL or a string starting with '*'.
    if (hash == nullptr || hash[0] == '*') {
        return "";
    }
    return hash;
}

Htpasswd Htpasswd::load(const std::string &path) {
    std::string text;
    try {
        text = read_file(path).text;
    } catch (const FileError &e) {
        throw UsageError(std::string("--htpasswd: ") + e.what());
    }
    Htpasswd h;
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::string where = "--htpasswd: " + path + ":" + std::to_string(number) + ": ";
        size_t colon = line.find(':');
        if (colon == 0 || colon == std::string::npos || colon + 1 == line.size()) {
            throw UsageError(where + "not NAME:HASH");
        }
        std::string user = line.substr(0, colon);
        // nginx reads the hash up to the next colon (an Apache comment may follow).
        std::string hash = line.substr(colon + 1, line.find(':', colon + 1) - colon - 1);
        if (crypt_hash("", hash).empty()) {
            throw UsageError(where + "the hash of \"" + user +
                             "\" is not one this system's crypt(3) knows (yescrypt $y$, "
                             "bcrypt $2y$, sha512-crypt $6$; apr1 and {SHA} are not)");
        }
        h.hashes_[user] = hash;
    }
    if (h.hashes_.empty()) {
        throw UsageError("--htpasswd: " + path + " names no user");
    }
    return h;
}

bool Htpasswd::check(const std::string &user, const std::string &password) const {
    auto it = hashes_.find(user);
    // An unknown user costs a hash too, so that timing does not tell names.
    const std::string &hash = it == hashes_.end() ? hashes_.begin()->second : it->second;
    bool match = same(crypt_hash(password, hash), hash);
    return match && it != hashes_.end();
}

std::optional<std::string> Htpasswd::authorized_user(std::string_view authorization) const {
    const std::string_view scheme = "Basic ";
    if (authorization.size() <= scheme.size() ||
        !std::equal(scheme.begin(), scheme.end(), authorization.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        return std::nullopt;
    }
    std::string_view encoded = authorization.substr(scheme.size());
    while (!encoded.empty() && encoded.front() == ' ') {
        encoded.remove_prefix(1);
    }
    std::optional<std::string> pair = base64_decode(encoded);
    if (!pair) {
        return std::nullopt;
    }
    size_t colon = pair->find(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    std::string user = pair->substr(0, colon);
    if (!check(user, pair->substr(colon + 1))) {
        return std::nullopt;
    }
    return user;
}

}  // namespace trace_ctl
