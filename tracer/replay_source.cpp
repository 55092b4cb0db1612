#include "replay_source.h"

#include "capture_files.h"
#include "files.h"
#include "tracefs_shim.h"

extern "C" {
#include <event-parse.h>
}

namespace hap {

Expected<std::unique_ptr<ReplaySource>> ReplaySource::open(const std::string& dir) {
    auto meta = read_capture_meta(dir);
    if (!meta) return meta.error();
    std::unique_ptr<ReplaySource> src(new ReplaySource());
    src->dir_ = dir;
    src->meta_ = *meta;
    size_t page_size = src->meta_.value("page_size", 0);
    if (page_size < 64 || page_size > (1u << 20)) return Error{dir + "/meta.json: implausible page_size"};
    src->page_.resize(page_size);

    std::vector<std::string> systems;
    for (const auto& s : list_dir(dir + "/events"))
        if (path_exists(dir + "/events/" + s) && s != "header_page" && s != "header_event") systems.push_back(s);
    std::vector<const char*> c_systems;
    for (const auto& s : systems) c_systems.push_back(s.c_str());
    c_systems.push_back(nullptr);
    src->tep_ = hap_tracefs_load_events(dir.c_str(), c_systems.data());
    if (!src->tep_) return Error{"cannot load event formats from " + dir + "/events"};
    if (auto ks = read_file(dir + "/kallsyms"); ks) src->kallsyms_ = Kallsyms::parse(*ks);
    src->decoder_ = std::make_unique<EventDecoder>(src->tep_);

    for (const auto& name : list_dir(dir + "/per_cpu")) {
        if (name.rfind("cpu", 0) != 0) continue;
        const std::string path = dir + "/per_cpu/" + name + "/trace_pipe_raw";
        FILE* f = std::fopen(path.c_str(), "rb");
        if (!f) return errno_error("cannot open " + path);
        src->files_.emplace_back(std::atoi(name.c_str() + 3), f);
    }
    if (src->files_.empty()) return Error{dir + " holds no per_cpu/cpuN/trace_pipe_raw data"};
    if (auto l = src->meta_.find("losses"); l != src->meta_.end()) {
        src->losses_.overrun = l->value("overrun", 0ull);
        src->losses_.dropped = l->value("dropped", 0ull);
        src->losses_.commit_overrun = l->value("commit_overrun", 0ull);
    }
    return src;
}

ReplaySource::~ReplaySource() {
    for (auto& [cpu, f] : files_)
        if (f) std::fclose(f);
    if (tep_) tep_free(tep_);
}

bool ReplaySource::step(EventSink& sink, uint64_t& n) {
    bool any = false;
    for (auto& [cpu, f] : files_) {
        if (!f) continue;
        size_t got = std::fread(page_.data(), 1, page_.size(), f);
        if (got == page_.size()) {
            n += decoder_->decode_page(page_.data(), got, cpu, sink);
            any = true;
            continue;
        }
        // A short last page means the capture was cut off: count it, never
        // decode half a page.
        truncated_ += got;
        std::fclose(f);
        f = nullptr;
    }
    return any;
}

uint64_t ReplaySource::pump(EventSink& sink) {
    uint64_t n = 0;
    step(sink, n);
    return n;
}

uint64_t ReplaySource::drain(EventSink& sink) {
    uint64_t n = 0;
    while (step(sink, n)) {
    }
    return n;
}


std::string ReplaySource::function_name(uint64_t addr) const {
    // Never the replaying host's symbols: an address means nothing there.
    return kallsyms_.lookup(addr);
}

}  // namespace hap
