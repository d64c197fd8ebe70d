// The exporter's C API: the shim's only way in. Every entry runs through
// guarded(); what fails is reported in the error log through the caller's
// log callback (the calls come from the worker's thread).

#include "errbuf.hpp"
#include "exporter.hpp"
#include "guard.hpp"
#include "trace_core.h"

struct trace_exporter_s {
    trace::Exporter exporter;
    explicit trace_exporter_s(const trace::ExporterConfig &c) : exporter(c) {}
};

namespace {

// "trace: WHAT: WHY" in the error log.
struct ToExporterLog {
    trace_exporter_t *exp;
    const char *what;
    void operator()(std::string_view why) const noexcept { exp->exporter.report(what, why); }
};

}  // namespace

extern "C" trace_exporter_t *trace_exporter_start(const trace_exporter_conf_t *conf, char *err,
                                                  size_t errlen) {
    return trace::guarded(trace::ToErrBuf{err, errlen}, nullptr, [&] {
        trace::ExporterConfig c;
        c.conninfo = conf->conninfo ? conf->conninfo : "";
        c.host = conf->host ? conf->host : "";
        if (conf->session_key != nullptr) {
            c.session_key.assign(reinterpret_cast<const char *>(conf->session_key),
                                 conf->session_key_len);
        }
        if (conf->buffer_size) {
            c.buffer_size = conf->buffer_size;
        }
        if (conf->batch_size) {
            c.batch_size = conf->batch_size;
        }
        if (conf->flush_interval_ms) {
            c.flush_interval = trace::Millis(conf->flush_interval_ms);
        }
        if (conf->db_timeout_ms) {
            c.db_timeout = trace::Millis(conf->db_timeout_ms);
        }
        if (conf->retry_max_ms) {
            c.retry_max = trace::Millis(conf->retry_max_ms);
        }
        if (conf->spool_dir != nullptr) {
            c.spool_dir = conf->spool_dir;
            if (conf->spool_max_size) {
                c.spool_max_size = conf->spool_max_size;
            }
        }
        c.stats = conf->stats;
        c.log = conf->log;
        c.log_ctx = conf->log_ctx;
        return new trace_exporter_s(c);
    });
}

// Out of memory, say: this row is lost, nginx carries on.
extern "C" int trace_exporter_add_request(trace_exporter_t *exp, const trace_request_t *req) {
    return trace::guarded(ToExporterLog{exp, "a request row is lost"}, -1,
                          [&] { return exp->exporter.add_request(*req) ? 0 : -1; });
}

extern "C" int trace_exporter_add_audit(trace_exporter_t *exp, const trace_audit_t *event) {
    return trace::guarded(ToExporterLog{exp, "an audit row is lost"}, -1,
                          [&] { return exp->exporter.add_audit(*event) ? 0 : -1; });
}

extern "C" int trace_exporter_has_pending(const trace_exporter_t *exp) {
    return trace::guarded(trace::NoReport{}, 0,
                          [&] { return exp->exporter.has_pending() ? 1 : 0; });
}

// The batch stays current and is handed over on the next flush.
extern "C" void trace_exporter_flush(trace_exporter_t *exp) {
    trace::guarded(ToExporterLog{exp, "cannot hand the batch to the sender thread"},
                   [&] { exp->exporter.flush(); });
}

extern "C" int trace_exporter_notify_fd(const trace_exporter_t *exp) {
    return trace::guarded(trace::NoReport{}, -1, [&] { return exp->exporter.notify_fd(); });
}

// Not reported: the log is what failed.
extern "C" void trace_exporter_drain_log(trace_exporter_t *exp) {
    trace::guarded(trace::NoReport{}, [&] { exp->exporter.drain_log(); });
}

extern "C" void trace_exporter_stop(trace_exporter_t *exp, uint32_t drain_ms) {
    trace::guarded(ToExporterLog{exp, "cannot stop the exporter"}, [&] {
        if (exp->exporter.stop(trace::Millis(drain_ms))) {
            delete exp;
        }
        // else: the sender thread still runs and uses the exporter; it is left
        // to the process's exit.
    });
}
