// Sets the TZ environment variable for one test and puts the old value back,
// so that tests which format local times see a known zone and leave the rest
// of the suite's zone as it was.

#ifndef TRACE_TEST_ZONE_GUARD_HPP
#define TRACE_TEST_ZONE_GUARD_HPP

#include <cstdlib>
#include <ctime>
#include <string>

class ZoneGuard {
public:
    explicit ZoneGuard(const char *zone) {
        const char *old = std::getenv("TZ");
        had_ = old != nullptr;
        old_ = old ? old : "";
        setenv("TZ", zone, 1);
        tzset();
    }
    ~ZoneGuard() {
        if (had_) {
            setenv("TZ", old_.c_str(), 1);
        } else {
            unsetenv("TZ");
        }
        tzset();
    }
    ZoneGuard(const ZoneGuard &) = delete;
    ZoneGuard &operator=(const ZoneGuard &) = delete;

private:
    bool had_;
    std::string old_;
};

#endif
