#include "event_formats.h"

#include <unistd.h>

extern "C" {
#include <event-parse.h>
}

#include "files.h"

namespace hap {

Expected<tep_handle*> load_event_formats(const std::string& dir, const std::vector<std::string>& systems) {
    auto header = read_file(dir + "/events/header_page");
    if (!header) return header.error();
    tep_handle* tep = tep_alloc();
    if (!tep) return Error{"out of memory", ENOMEM};
    tep_set_long_size(tep, sizeof(long));
    tep_set_page_size(tep, static_cast<int>(::getpagesize()));
    tep_set_file_bigendian(tep, tep_is_local_bigendian(tep) ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
    if (tep_parse_header_page(tep, header->data(), header->size(), sizeof(long)) != 0) {
        tep_free(tep);
        return Error{"cannot parse " + dir + "/events/header_page"};
    }
    for (const auto& sys : systems) {
        size_t parsed = 0;
        for (const auto& ev : list_dir(dir + "/events/" + sys)) {
            auto fmt = read_file(dir + "/events/" + sys + "/" + ev + "/format");
            if (!fmt) continue;  // "enable", "filter"
            if (tep_parse_event(tep, fmt->data(), fmt->size(), sys.c_str()) == 0) ++parsed;
        }
        if (parsed == 0) {
            tep_free(tep);
            return Error{"no event format of system '" + sys + "' could be parsed under " + dir + "/events", ENOENT};
        }
    }
    return tep;
}

}  // namespace hap
