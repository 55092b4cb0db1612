// The on-disk form of a recorded capture, replayable on any machine:
//   DIR/events/header_page, header_event, <system>/<event>/format
//   DIR/per_cpu/cpuN/trace_pipe_raw   the sub-buffers exactly as read
//   DIR/kallsyms      the traced kernel's symbols (function modes)
//   DIR/meta.json     kernel, page size, cpus, modes, losses, traced tasks,
//                     and `record`: whether every page read is in the files
//                     (page_recorder.h; captures made before it have none)
// It mirrors tracefs' own layout so libtracefs loads the formats unchanged
// (it also insists on finding per_cpu/cpuN).
#pragma once

#include <cstdio>
#include <map>
#include <memory>
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
    // Appends one page to the CPU's file, padded to page_size(). The Error
    // names the file and keeps errno (ENOSPC: the disk is full); stdio
    // buffers, so a failure may also surface only at close_pages().
    Status write_page(int cpu, const void* data, size_t size);
    // Flushes and closes the per-CPU files; the first failure, by file.
    Status close_pages();
    // Closes the pages if still open, then writes meta.json last: a capture
    // without it is incomplete.
    Status finish(nlohmann::json meta);
    const std::string& dir() const { return dir_; }
    size_t page_size() const { return page_size_; }
    void set_page_size(size_t s) { page_size_ = s; }

private:
    Status open_cpu(int cpu);
    std::string cpu_file(int cpu) const;
    std::string dir_;
    size_t page_size_ = 4096;
    struct CpuFile {
        FILE* f = nullptr;
        std::unique_ptr<char[]> buffer;  // stdio's own is st_blksize (4 KiB): one page a write
    };
    std::map<int, CpuFile> files_;
};

// Reads meta.json; errors name the file and what is wrong with it.
Expected<nlohmann::json> read_capture_meta(const std::string& dir);

}  // namespace hap
