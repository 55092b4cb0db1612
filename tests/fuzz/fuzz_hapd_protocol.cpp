// libFuzzer: arbitrary bytes as one hapd request line. Besides not crashing,
// what parses must survive a round trip: a measure request hapctl would send
// for it parses back to the same request.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    auto r = hap::hapd::parse_request(line);
    if (!r || r->type != hap::hapd::RequestType::Measure) return 0;
    const auto& m = r->measure;
    auto again = hap::hapd::parse_request(hap::hapd::measure_request_line(m, r->wait));
    if (!again) std::abort();
    const auto& n = again->measure;
    if (n.runtime != m.runtime || n.workload != m.workload || n.platform != m.platform || n.mode_spec != m.mode_spec ||
        n.reps != m.reps || n.duration != m.duration || n.ready_timeout != m.ready_timeout || n.buffer_kb != m.buffer_kb ||
        n.db_path != m.db_path || n.record_dir != m.record_dir || n.docker_host != m.docker_host || again->wait != r->wait)
        std::abort();
    return 0;
}
