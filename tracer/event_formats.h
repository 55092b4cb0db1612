// A libtraceevent handle with the event formats of a tracefs-shaped directory
// (the live tracefs, or a capture), and nothing else: libtracefs' loader also
// reads the whole of /proc/kallsyms, which dominated short replays and is
// wrong for a capture from another kernel. Function names come from Kallsyms.
#pragma once

#include <string>
#include <vector>

#include "error.h"

struct tep_handle;

namespace hap {

// Caller frees with tep_free(). Fails when the header page or every format
// of a system cannot be parsed.
Expected<tep_handle*> load_event_formats(const std::string& dir, const std::vector<std::string>& systems);

}  // namespace hap
