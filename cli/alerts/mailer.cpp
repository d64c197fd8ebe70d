#include "alerts/mailer.hpp"

#include "app/files.hpp"
#include "common/one_line.hpp"

// libesmtp.h uses size_t without including <stddef.h>, and declares
// smtp_starttls_set_ctx and smtp_auth_set_context only when the OpenSSL and
// auth-client headers came first.
#include <cstddef>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <auth-client.h>
#include <libesmtp.h>

#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

namespace trace_ctl {

namespace {

// What libesmtp told us through its event and monitor callbacks.
struct SessionEvents {
    bool connected = false;
    bool starttls_ok = false;
    bool starttls_missing = false;
    std::string tls_problem;
    std::string login_refused;  // the server's 535 reply to AUTH
    std::chrono::steady_clock::time_point last_heard;  // the server's last words
};

// libesmtp's connect() has no timeout of its own: an unanswered SYN would keep
// a cron run waiting for minutes. A repeating SIGALRM (without SA_RESTART)
// interrupts each connect attempt after the timeout; it is stopped as soon as
// the connection stands, and libesmtp's own timeouts take over.
volatile std::sig_atomic_t connect_timer_fired = 0;

extern "C" void on_connect_timer(int) {
    connect_timer_fired = 1;
}

class ConnectTimer {
public:
    explicit ConnectTimer(int seconds) {
        connect_timer_fired = 0;
        struct sigaction sa {};
        sa.sa_handler = on_connect_timer;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        ::sigaction(SIGALRM, &sa, &previous_);
        arm(seconds);
    }
    ~ConnectTimer() {
        stop();
        ::sigaction(SIGALRM, &previous_, nullptr);
    }
    ConnectTimer(const ConnectTimer &) = delete;
    ConnectTimer &operator=(const ConnectTimer &) = delete;

    static void stop() { arm(0); }

private:
    static void arm(int seconds) {
        struct itimerval t {};
        t.it_value.tv_sec = seconds;
        t.it_interval.tv_sec = seconds;
        ::setitimer(ITIMER_REAL, &t, nullptr);
    }
    struct sigaction previous_ {};
};

extern "C" void on_smtp_event(smtp_session_t, int event, void *arg, ...) {
    auto *events = static_cast<SessionEvents *>(arg);
    va_list ap;
    va_start(ap, arg);
    switch (event) {
    case SMTP_EV_CONNECT:
        events->connected = true;
        events->last_heard = std::chrono::steady_clock::now();
        ConnectTimer::stop();
        break;
    case SMTP_EV_STARTTLS_OK:
        events->starttls_ok = true;
        break;
    case SMTP_EV_EXTNA_STARTTLS:
        events->starttls_missing = true;
        break;
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
        long result = va_arg(ap, long);
        int *ok = va_arg(ap, int *);
        *ok = 0;
        events->tls_problem = std::string("the server's certificate is not trusted: ") +
                              X509_verify_cert_error_string(result);
        break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE: {
        int *ok = va_arg(ap, int *);
        *ok = 0;
        events->tls_problem = "the server presented no certificate";
        break;
    }
    case SMTP_EV_WRONG_PEER_CERTIFICATE: {
        int *ok = va_arg(ap, int *);
        const char *name = va_arg(ap, const char *);
        *ok = 0;
        events->tls_problem = std::string("the server's certificate is for \"") +
                              (name ? name : "") + "\", not for the configured host";
        break;
    }
    case SMTP_EV_WEAK_CIPHER: {
        int bits = va_arg(ap, int);
        int *ok = va_arg(ap, int *);
        *ok = 0;
        events->tls_problem = "the server chose a weak cipher (" + std::to_string(bits) + " bits)";
        break;
    }
    case SMTP_EV_NO_CLIENT_CERTIFICATE:
    case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
    case SMTP_EV_UNUSABLE_CA_LIST:
        events->tls_problem = "libesmtp found an unusable certificate under ~/.authenticate";
        break;
    default:
        break;
    }
    va_end(ap);
}

// libesmtp has no event for a refused login; the reply is only visible in the
// protocol stream. Only what the server says is looked at (what we write holds
// the credentials).
extern "C" void watch_replies(const char *buf, int len, int writing, void *arg) {
    auto *events = static_cast<SessionEvents *>(arg);
    if (writing != SMTP_CB_READING) {
        return;
    }
    events->last_heard = std::chrono::steady_clock::now();
    std::string_view reply(buf, len > 0 ? static_cast<size_t>(len) : 0);
    if (reply.substr(0, 3) == "535" && events->login_refused.empty()) {
        events->login_refused = trace::one_line(reply);
    }
}

// The message, handed to libesmtp in one piece. libesmtp first calls with
// len == NULL to rewind, then reads until it gets nothing.
struct MessageSource {
    const std::string *text;
    bool sent;
};

extern "C" const char *read_message(void **, int *len, void *arg) {
    auto *source = static_cast<MessageSource *>(arg);
    if (len == nullptr) {
        source->sent = false;
        return nullptr;
    }
    if (source->sent) {
        *len = 0;
        return nullptr;
    }
    source->sent = true;
    *len = static_cast<int>(source->text->size());
    return source->text->data();
}

struct Credentials {
    const std::string *user;
    const std::string *password;
};

extern "C" int answer_auth(auth_client_request_t request, char **result, int fields, void *arg) {
    auto *credentials = static_cast<Credentials *>(arg);
    for (int i = 0; i < fields; ++i) {
        if (request[i].flags & AUTH_USER) {
            result[i] = const_cast<char *>(credentials->user->c_str());
        } else if (request[i].flags & AUTH_PASS) {
            result[i] = const_cast<char *>(credentials->password->c_str());
        } else {
            return 0;  // a realm or anything else we do not have
        }
    }
    return 1;
}

struct SessionDeleter {
    void operator()(smtp_session_t s) const { smtp_destroy_session(s); }
};
struct AuthDeleter {
    void operator()(auth_context_t a) const { auth_destroy_context(a); }
};
struct SslCtxDeleter {
    void operator()(SSL_CTX *c) const { SSL_CTX_free(c); }
};

std::string server_text(const smtp_status_t *status) {
    std::string text = status && status->text ? trace::one_line(status->text) : "";
    return std::to_string(status ? status->code : 0) + (text.empty() ? "" : " " + text);
}

bool accepted(const smtp_status_t *status) {
    return status != nullptr && status->code >= 200 && status->code < 300;
}

std::unique_ptr<SSL_CTX, SslCtxDeleter> make_tls_context(const SmtpConfig &smtp) {
    std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) {
        throw MailError("cannot set up TLS: out of memory");
    }
    // TLS 1.2 only. With TLS 1.3 the server's session tickets arrive after the
    // handshake; libesmtp 1.1 takes the readable socket for the EHLO reply and
    // waits for it before it has sent EHLO, until the timeout (seen in about
    // one session in fifteen against OpenSSL 3 servers).
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), TLS1_2_VERSION);
    int loaded = smtp.ca_file.empty()
                     ? SSL_CTX_set_default_verify_paths(ctx.get())
                     : SSL_CTX_load_verify_locations(ctx.get(), smtp.ca_file.c_str(), nullptr);
    if (loaded != 1) {
        throw MailError("cannot load the CA certificates of " +
                        (smtp.ca_file.empty() ? std::string("the system") : smtp.ca_file));
    }
    // The handshake completes either way; libesmtp then checks the chain's
    // verification result and the host name, and our event callback refuses
    // anything short of both, with a message that says which.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
}

struct RecipientFailures {
    std::string text;
};

extern "C" void collect_recipient(smtp_recipient_t recipient, const char *mailbox, void *arg) {
    auto *failures = static_cast<RecipientFailures *>(arg);
    const smtp_status_t *status = smtp_recipient_status(recipient);
    // A code of 0: the session ended before this recipient was tried.
    if (status != nullptr && status->code != 0 && !accepted(status)) {
        failures->text += std::string(failures->text.empty() ? "" : "; ") + mailbox + ": " +
                          server_text(status);
    }
}

}  // namespace

std::string read_password_file(const std::string &path) {
    FileContents file;
    try {
        file = read_file(path, true, 4096);
    } catch (const FileError &e) {
        throw ConfigError(std::string("smtp.password_file: ") + e.what());
    }
    if (file.st.st_mode & (S_IROTH | S_IWOTH)) {
        char mode[8];
        std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(file.st.st_mode & 07777));
        throw ConfigError("smtp.password_file " + path + " is accessible to everyone (mode " +
                          mode + "); refusing to use it: chmod o-rwx " + path);
    }
    std::string password = file.text.substr(0, file.text.find('\n'));
    if (!password.empty() && password.back() == '\r') {
        password.pop_back();
    }
    if (password.empty()) {
        throw ConfigError("smtp.password_file " + path + " holds no password on its first line");
    }
    return password;
}

std::string prepare_smtp(const SmtpConfig &smtp) {
    if (smtp.tls == TlsMode::tls) {
        throw ConfigError(
            "smtp.tls = \"tls\" (implicit TLS, port 465) is not supported: libesmtp 1.1, which "
            "trace-ctl sends mail with, only speaks STARTTLS; use tls = \"starttls\" with the "
            "server's submission port (587)");
    }
    if (smtp.user.empty() != smtp.password_file.empty()) {
        throw ConfigError(smtp.user.empty() ? "smtp.password_file is set but smtp.user is not"
                                            : "smtp.user is set but smtp.password_file is not");
    }
    if (smtp.user.empty()) {
        return {};
    }
    if (smtp.tls == TlsMode::none) {
        throw ConfigError(
            "smtp.user is set but smtp.tls = \"none\": trace-ctl never sends a password "
            "without TLS");
    }
    return read_password_file(smtp.password_file);
}

void send_mail(const SmtpConfig &smtp, const std::string &password, const Envelope &envelope,
               const std::string &message) {
    const std::string server = smtp.host + ":" + std::to_string(smtp.effective_port());
    const std::string where = "cannot send mail via " + server + ": ";

    // Everything the session points at is declared before it, so that it is
    // destroyed after the session.
    SessionEvents events;
    Credentials credentials{&smtp.user, &password};
    MessageSource source{&message, false};
    std::unique_ptr<SSL_CTX, SslCtxDeleter> tls;
    if (smtp.tls == TlsMode::starttls) {
        tls = make_tls_context(smtp);
    }
    std::unique_ptr<auth_context, AuthDeleter> auth;
    if (!smtp.user.empty()) {
        auth_client_init();
        auth.reset(auth_create_context());
        if (!auth) {
            throw MailError(where + "out of memory");
        }
        auth_set_mechanism_flags(auth.get(), AUTH_PLUGIN_PLAIN, 0);
        auth_set_interact_cb(auth.get(), answer_auth, &credentials);
    }

    std::unique_ptr<smtp_session, SessionDeleter> session(smtp_create_session());
    if (!session) {
        throw MailError(where + "out of memory");
    }
    smtp_session_t s = session.get();
    // Always host:port: without a port libesmtp connects to 587.
    smtp_set_server(s, server.c_str());
    const long timeout_ms = smtp.timeout_seconds * 1000L;
    for (int which : {Timeout_GREETING, Timeout_ENVELOPE, Timeout_DATA, Timeout_TRANSFER,
                      Timeout_DATA2}) {
        smtp_set_timeout(s, which | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout_ms);
    }
    smtp_set_eventcb(s, on_smtp_event, &events);
    smtp_set_monitorcb(s, watch_replies, &events, 0);
    if (tls) {
        smtp_starttls_set_ctx(s, tls.get());
        smtp_starttls_enable(s, Starttls_REQUIRED);
    } else {
        smtp_starttls_enable(s, Starttls_DISABLED);
    }
    if (auth) {
        smtp_auth_set_context(s, auth.get());
    }

    smtp_message_t m = smtp_add_message(s);
    smtp_set_reverse_path(m, envelope.from.c_str());
    for (const std::string &to : envelope.to) {
        smtp_add_recipient(m, to.c_str());
    }
    smtp_set_messagecb(m, read_message, &source);

    int started;
    {
        ConnectTimer timer(smtp.timeout_seconds);
        started = smtp_start_session(s);
    }
    int err = smtp_errno();

    // libesmtp ends a session it refused to continue (no STARTTLS, a bad
    // certificate) with success and a status of 0: the events say why.
    if (events.starttls_missing) {
        throw MailError(where + "the server does not offer STARTTLS, which smtp.tls = "
                                "\"starttls\" requires");
    }
    if (!events.tls_problem.empty()) {
        throw MailError(where + events.tls_problem);
    }
    if (!events.login_refused.empty()) {
        throw MailError(where + "the server refused the login as " + smtp.user + " (" +
                        events.login_refused + "); check smtp.user and smtp.password_file");
    }
    if (!started || !events.connected) {
        if (!events.connected && connect_timer_fired) {
            throw MailError(where + "no connection within " +
                            std::to_string(smtp.timeout_seconds) + " s");
        }
        char buf[256] = "";
        const char *why = smtp_strerror(err, buf, sizeof(buf));
        throw MailError(where + (why && *why ? why : "the session failed"));
    }
    if (smtp.tls == TlsMode::starttls && !events.starttls_ok) {
        throw MailError(where + "the STARTTLS handshake did not complete");
    }
    const smtp_status_t *sender = smtp_reverse_path_status(m);
    if (sender && sender->code != 0 && !accepted(sender)) {
        throw MailError(where + "the server refused the sender " + envelope.from + ": " +
                        server_text(sender));
    }
    RecipientFailures failures;
    smtp_enumerate_recipients(m, collect_recipient, &failures);
    const smtp_status_t *transfer = smtp_message_transfer_status(m);
    // libesmtp reports a reply that never came as a dropped connection.
    bool silent = err == SMTP_ERR_DROPPED_CONNECTION &&
                  std::chrono::steady_clock::now() - events.last_heard >=
                      std::chrono::seconds(smtp.timeout_seconds);
    if (!accepted(transfer) && silent) {
        throw MailError(where + "the server did not answer within " +
                        std::to_string(smtp.timeout_seconds) + " s");
    }
    if (!accepted(transfer)) {
        std::string why = transfer && transfer->code != 0
                              ? "the server did not accept the message: " + server_text(transfer)
                              : "the session ended before the message was sent";
        char buf[256] = "";
        const char *error_text = err != 0 ? smtp_strerror(err, buf, sizeof(buf)) : nullptr;
        if (error_text && *error_text) {
            why += std::string(" (") + error_text + ")";
        }
        if (!failures.text.empty()) {
            why += " (refused recipients: " + failures.text + ")";
        }
        throw MailError(where + why);
    }
    if (!failures.text.empty()) {
        throw MailError(where + "the server refused recipients: " + failures.text);
    }
}

}  // namespace trace_ctl
