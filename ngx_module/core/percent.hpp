// Percent-decoding, as URLs and urlencoded forms use it.

#ifndef TRACE_CORE_PERCENT_HPP
#define TRACE_CORE_PERCENT_HPP

#include <string>
#include <string_view>

namespace trace {

// "%41" is 'A'; '+' is a space when plus_is_space (forms, query strings);
// a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view in, bool plus_is_space);

}  // namespace trace

#endif
