// The exporter's C API: the shim's only way in. Exceptions end here.

#include "errbuf.hpp"
#include "exporter.hpp"
#include "trace_core.h"

struct trace_exporter_s {
    trace::Exporter exporter;
    explicit trace_exporter_s(const trace::ExporterConfig &c) : exporter(c) {}
};

extern "C" trace_exporter_t *trace_exporter_start(const trace_exporter_conf_t *conf, char *err,
                                                  size_t errlen) {
    try {
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
    } catch (const std::exception &e) {
        trace::write_error(err, errlen, e.what());
        return nullptr;
    }
}

extern "C" int trace_exporter_add_request(trace_exporter_t *exp, const trace_request_t *req) {
    try {
        return exp->exporter.add_request(*req) ? 0 : -1;
    } catch (const std::exception &) {
        return -1;  // out of memory: this row is lost, nginx carries on
    }
}

extern "C" int trace_exporter_add_audit(trace_exporter_t *exp, const trace_audit_t *event) {
    try {
        return exp->exporter.add_audit(*event) ? 0 : -1;
    } catch (const std::exception &) {
        return -1;
    }
}

extern "C" int trace_exporter_has_pending(const trace_exporter_t *exp) {
    return exp->exporter.has_pending() ? 1 : 0;
}

extern "C" void trace_exporter_flush(trace_exporter_t *exp) {
    try {
        exp->exporter.flush();
    } catch (const std::exception &) {
        // the batch stays current and is retried on the next flush
    }
}

extern "C" int trace_exporter_notify_fd(const trace_exporter_t *exp) {
    return exp->exporter.notify_fd();
}

extern "C" void trace_exporter_drain_log(trace_exporter_t *exp) {
    try {
        exp->exporter.drain_log();
    } catch (const std::exception &) {
    }
}

extern "C" void trace_exporter_stop(trace_exporter_t *exp, uint32_t drain_ms) {
    try {
        if (exp->exporter.stop(trace::Millis(drain_ms))) {
            delete exp;
        }
        // else: the sender thread still runs and uses the exporter; it is left
        // to the process's exit.
    } catch (const std::exception &) {
    }
}
