#include "replay_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <tuple>
#include <bit>

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
        const std::string path = dir + "/per_cpu/" + name + "/trace_pipe_raw";
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno_error("cannot open " + path);
        struct stat st {};
        ::fstat(fd, &st);
        CpuFile cf{std::atoi(name.c_str() + 3)};
        cf.size = static_cast<size_t>(st.st_size);
        if (cf.size > 0) {
            void* m = ::mmap(nullptr, cf.size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED) {
                Error e = errno_error("cannot map " + path);
                ::close(fd);
                return e;
            }
            ::madvise(m, cf.size, MADV_SEQUENTIAL);
            cf.data = static_cast<const char*>(m);
        }
        ::close(fd);
        src->files_.push_back(cf);
    }
    if (src->files_.empty()) return Error{dir + " holds no per_cpu/cpuN/trace_pipe_raw data"};
    // 16 MiB of decoded-but-mapped capture in all, shared among the CPU
    // files, in power-of-two windows of 1 to 8 MiB per file (see release_behind).
    src->release_window_ = std::clamp<size_t>(std::bit_floor((size_t{16} << 20) / src->files_.size()), size_t{1} << 20,
                                              size_t{8} << 20);
    if (auto l = src->meta_.find("losses"); l != src->meta_.end()) {
        src->losses_.overrun = l->value("overrun", 0ull);
        src->losses_.dropped = l->value("dropped", 0ull);
        src->losses_.commit_overrun = l->value("commit_overrun", 0ull);
    }
    return src;
}

ReplaySource::~ReplaySource() {
    for (auto& f : files_)
        if (f.data) ::munmap(const_cast<char*>(f.data), f.size);
    if (tep_) tep_free(tep_);
}

bool ReplaySource::step(EventSink& sink, uint64_t& n) {
    bool any = false;
    for (auto& f : files_) {
        if (f.next >= f.size) continue;
        if (f.size - f.next >= page_size_) {
            n += decoder_->decode_page(f.data + f.next, page_size_, f.cpu, sink);
            f.next += page_size_;
            release_behind(f.data, f.next);
            any = true;
            continue;
        }
        // A short last page means the capture was cut off: count it, never
        // decode half a page.
        truncated_ += f.size - f.next;
        f.next = f.size;
    }
    return any;
}

void ReplaySource::release_behind(const char* data, size_t next) const {
    // Drop what was decoded from this process's memory window by window:
    // replay memory stays flat however long the capture is (4 MiB windows
    // on each of 8 CPU files made 41 MiB, scripts/bench). Each drop flushes
    // the TLB of every CPU running this process, by IPI when parallel
    // readers run: with 1 MiB windows those flushes were a good part of
    // what two readers lost against one, so the few files of a small
    // machine get larger windows out of one budget (set at open).
    const size_t w = release_window_;
    if (next % w < page_size_ && next >= w)
        ::madvise(const_cast<char*>(data) + (next / w - 1) * w, w, MADV_DONTNEED);
}

uint64_t ReplaySource::decode_file_page(size_t i, size_t n, EventDecoder& decoder, EventSink& sink) const {
    const CpuFile& f = files_[i];
    const size_t at = f.next + n * page_size_;
    const uint64_t got = decoder.decode_page(f.data + at, page_size_, f.cpu, sink);
    release_behind(f.data, at + page_size_);
    return got;
}

std::unique_ptr<EventDecoder> ReplaySource::new_decoder() const { return std::make_unique<EventDecoder>(tep_); }

void ReplaySource::finish_files(uint64_t skipped) {
    for (auto& f : files_) {
        f.next += (f.size - f.next) / page_size_ * page_size_;
        truncated_ += f.size - f.next;  // a short last page: cut off, never decoded
        f.next = f.size;
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
