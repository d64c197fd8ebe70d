// --htpasswd FILE: the users who may open the console, in the format of
// nginx's auth_basic_user_file (NAME:HASH per line, # comments), each hash
// checked with libcrypt's crypt_r: whatever this system's crypt(3) supports
// (yescrypt $y$, bcrypt $2b$/$2y$, sha512-crypt $6$, sha256-crypt $5$, md5-crypt
// $1$, ...). Apache's apr1 and {SHA} are not crypt(3) hashes: the file is
// refused at start, naming the line, rather than failing every login later.

#ifndef TRACE_CTL_CONSOLE_HTPASSWD_HPP
#define TRACE_CTL_CONSOLE_HTPASSWD_HPP

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace trace_ctl {

class Htpasswd {
public:
    // Throws UsageError: unreadable file, a line without NAME:HASH, a hash that
    // crypt(3) does not know, no user at all.
    static Htpasswd load(const std::string &path);

    // The user of an Authorization header ("Basic base64(NAME:PASSWORD)")
    // whose password matches; nothing for a missing, malformed or wrong one.
    std::optional<std::string> authorized_user(std::string_view authorization) const;

    bool check(const std::string &user, const std::string &password) const;

private:
    std::map<std::string, std::string> hashes_;
};

// crypt_r(password, setting) as a string; "" when crypt(3) refuses.
std::string crypt_hash(const std::string &password, const std::string &setting);

}  // namespace trace_ctl

#endif
