// The on-disk form of a recorded capture, replayable on any machine:
//   DIR/events/header_page, header_event, <system>/<event>/format
//   DIR/per_cpu/cpuN/trace_pipe_raw   the sub-buffers exactly as read
//   DIR/kallsyms      the traced kernel's symbols (function modes)
//   DIR/meta.json     kernel, page size, cpus, modes, losses, traced tasks
// It mirrors tracefs' own layout so libtracefs loads the formats unchanged
// (it also insists on finding per_cpu/cpuN).
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"

namespace hap {

class CaptureWriter {
public:
    // Copies header and format files of `systems` from tracing_dir into dir.
    static Expected<std::unique_ptr<CaptureWriter>> create(const std::string& dir, const std::string& tracing_dir,
                                                           const std::vector<std::string>& systems,
                                                           bool with_kallsyms, int cpus);
    ~CaptureWriter();
    Status write_page(int cpu, const void* data, size_t size);
    // meta.json is written last: a capture without it is incomplete.
    Status finish(nlohmann::json meta);
    const std::string& dir() const { return dir_; }
    size_t page_size() const { return page_size_; }
    void set_page_size(size_t s) { page_size_ = s; }

private:
    Status open_cpu(int cpu);
    std::string dir_;
    size_t page_size_ = 4096;
    std::map<int, FILE*> files_;
};

// Reads meta.json; errors name the file and what is wrong with it.
Expected<nlohmann::json> read_capture_meta(const std::string& dir);

}  // namespace hap
