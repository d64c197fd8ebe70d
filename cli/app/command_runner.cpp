#include "app/command_runner.hpp"

#include "app/config.hpp"

#include <exception>
#include <iostream>

namespace trace_ctl {

int run_command(Context &ctx, const char *name,
                const std::function<int(const Context &)> &command) {
    try {
        ctx.config = load_config(ctx.options.config_path, ctx.options.config_explicit);
        return command(ctx);
    } catch (const ConfigError &e) {
        std::cerr << "trace-ctl " << name << ": " << e.what() << '\n';
        return exit_usage;
    } catch (const std::exception &e) {
        std::cerr << "trace-ctl " << name << ": " << e.what() << '\n';
        return exit_failure;
    }
}

}  // namespace trace_ctl
