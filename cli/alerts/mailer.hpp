// Sending one message through the configured SMTP server with libesmtp:
// STARTTLS required and verified (tls = "starttls"), or plain (tls = "none");
// authentication with the password from smtp.password_file; short timeouts.

#ifndef TRACE_CTL_ALERTS_MAILER_HPP
#define TRACE_CTL_ALERTS_MAILER_HPP

#include "app/config.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace trace_ctl {

// The mail did not go out; the message says where and why (never the password).
class MailError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Checks, before anything is measured, that the [smtp] settings can work:
// implicit TLS (tls = "tls") is refused because libesmtp 1.1 cannot speak it,
// a password is never sent without TLS, and the password file must exist and
// must not be readable by everyone. Returns the password ("" without a user).
// Throws ConfigError.
std::string prepare_smtp(const SmtpConfig &smtp);

// Reads the SMTP password: the file's first line. Throws ConfigError when the
// file cannot be read, is empty, or is readable or writable by others.
std::string read_password_file(const std::string &path);

struct Envelope {
    std::string from;
    std::vector<std::string> to;
};

// Sends `message` (CRLF text, headers included) to every address of the
// envelope. Succeeds only when the server accepted the message for every
// recipient. Throws MailError.
void send_mail(const SmtpConfig &smtp, const std::string &password, const Envelope &envelope,
               const std::string &message);

}  // namespace trace_ctl

#endif
