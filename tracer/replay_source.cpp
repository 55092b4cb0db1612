#include "replay_source.h"

#include <algorithm>
#include <tuple>

#include "capture_files.h"
#include "files.h"
#include "event_formats.h"

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
    src->page_size_ = page_size;

    std::vector<std::string> systems;
    for (const auto& s : list_dir(dir + "/events"))
        if (path_exists(dir + "/events/" + s) && s != "header_page" && s != "header_event") systems.push_back(s);
    auto tep = load_event_formats(dir, systems);
    if (!tep) return tep.error();
    src->tep_ = *tep;
    src->decoder_ = std::make_unique<EventDecoder>(src->tep_);

    for (const auto& name : list_dir(dir + "/per_cpu")) {
        if (name.rfind("cpu", 0) != 0) continue;
        auto file = PageFile::open(dir + "/per_cpu/" + name + "/trace_pipe_raw", page_size);
        if (!file) return file.error();
        src->files_.push_back(CpuFile{std::atoi(name.c_str() + 3), std::move(*file)});
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
    if (tep_) tep_free(tep_);
}

bool ReplaySource::step(EventSink& sink, uint64_t& n) {
    bool any = false;
    for (auto& f : files_) {
        if (f.done) continue;
        if (f.next < f.file.pages()) {
            if (const unsigned char* page = f.file.page(f.next))
                n += decoder_->decode_page(page, page_size_, f.cpu, sink);
            else
                ++unreadable_pages_;
            ++f.next;
            any = true;
            continue;
        }
        // A short last page means the capture was cut off: count it, never
        // decode half a page.
        truncated_ += f.file.tail_bytes();
        f.done = true;
    }
    return any;
}

uint64_t ReplaySource::decode_file_page(size_t i, size_t n, EventDecoder& decoder, EventSink& sink) {
    CpuFile& f = files_[i];
    const unsigned char* page = f.file.page(f.next + n);
    if (!page) {
        ++unreadable_pages_;
        return 0;
    }
    return decoder.decode_page(page, page_size_, f.cpu, sink);
}

std::unique_ptr<EventDecoder> ReplaySource::new_decoder() const { return std::make_unique<EventDecoder>(tep_); }

void ReplaySource::finish_files(uint64_t skipped) {
    for (auto& f : files_) {
        if (!f.done) truncated_ += f.file.tail_bytes();  // a short last page: cut off, never decoded
        f.next = f.file.pages();
        f.done = true;
    }
    other_skipped_ += skipped;
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


void ReplaySource::seed_tasks(TaskTable& tasks) const {
    if (!meta_.contains("tasks")) return;
    for (const auto& t : meta_["tasks"])
        tasks.seed(t["tid"].get<int>(), parse_role(t["role"].get<std::string>()).value_or(Role::Unknown),
                   t["comm"].get<std::string>());
}

void ReplaySource::seed_abis(TaskAbis& abis) const {
    auto it = meta_.find("syscall_abis");
    if (it == meta_.end()) return;
    for (const auto& t : it->value("seeded", nlohmann::json::array()))
        abis.seed(t.value("tid", 0), parse_syscall_abi(t.value("abi", "")).value_or(SyscallAbi::Unknown));
    // Every exec the live run decoded is known before the first page: a
    // task's records on one CPU are counted under the program it ran then,
    // even when its exec's CPU is read later (or by another reader). An
    // exec record the meta does not list has an Unknown program (no reader).
    // In time order per task (the meta has them in decode order), so each
    // task's epochs are too and its records take TaskAbis's fast path.
    struct Exec {
        pid_t tid;
        uint64_t ts;
        SyscallAbi abi;
    };
    std::vector<Exec> execs;
    for (const auto& e : it->value("execs", nlohmann::json::array()))
        execs.push_back({e.value("tid", 0), e.value("ts", uint64_t{0}),
                         parse_syscall_abi(e.value("abi", "")).value_or(SyscallAbi::Unknown)});
    std::sort(execs.begin(), execs.end(), [](const Exec& a, const Exec& b) { return std::tie(a.tid, a.ts) < std::tie(b.tid, b.ts); });
    for (const Exec& e : execs) abis.known_exec(e.tid, e.ts, e.abi);
}

EntryPathIndex ReplaySource::entry_path_index() const {
    if (!kallsyms_) {
        auto k = Kallsyms::open(dir_ + "/kallsyms");
        kallsyms_ = k ? std::move(*k) : Kallsyms::parse("");
    }
    return EntryPathIndex::of(*kallsyms_);
}

std::string ReplaySource::function_name(uint64_t addr) const {
    // Never the replaying host's symbols: an address means nothing there.
    // Read when the first function is named: a syscalls capture never needs them.
    if (!kallsyms_) {
        auto k = Kallsyms::open(dir_ + "/kallsyms");
        kallsyms_ = k ? std::move(*k) : Kallsyms::parse("");
    }
    return kallsyms_->lookup(addr);
}

}  // namespace hap
