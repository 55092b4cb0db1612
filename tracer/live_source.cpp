#include "live_source.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "event_formats.h"
#include "files.h"
#include "tracefs_shim.h"

extern "C" {
#include <event-parse.h>
}

namespace hap {

Expected<std::unique_ptr<LiveSource>> LiveSource::open(TraceSession& session) {
    std::unique_ptr<LiveSource> src(new LiveSource(session));
    auto tep = load_event_formats(session.tracing_dir(), session.event_systems());
    if (!tep) return tep.error();
    src->tep_ = *tep;
    src->decoder_ = std::make_unique<EventDecoder>(src->tep_);

    for (const auto& name : list_dir(session.buffer_dir() + "/per_cpu")) {
        if (name.rfind("cpu", 0) != 0) continue;
        int cpu = std::stoi(name.substr(3));
        tracefs_cpu* t = hap_tracefs_cpu_open(session.instance(), cpu, true);
        if (!t) return errno_error("cannot open trace_pipe_raw of cpu " + std::to_string(cpu));
        src->cpus_.emplace_back(cpu, t);
        src->last_page_ts_.push_back(0);
        src->page_.resize(std::max<size_t>(src->page_.size(), hap_tracefs_cpu_read_size(t)));
    }
    if (src->cpus_.empty()) return Error{"no per-CPU buffers under " + session.buffer_dir(), ENOENT};
    return src;
}

LiveSource::~LiveSource() {
    close();
    if (tep_) tep_free(tep_);
}

void LiveSource::close() {
    for (auto& [cpu, t] : cpus_) hap_tracefs_cpu_close(t);
    cpus_.clear();
}

uint64_t LiveSource::consume(size_t c, int bytes, EventSink& sink) {
    ++pages_;
    if (static_cast<size_t>(bytes) >= sizeof(uint64_t)) {
        // The page header's time stamp: no record in the page is older, and
        // none of the CPU's records still unread (ring_page.h).
        uint64_t page_ts;
        std::memcpy(&page_ts, page_.data(), sizeof page_ts);
        last_page_ts_[c] = page_ts;
    }
    const int cpu = cpus_[c].first;
    if (recorder_) recorder_->submit(cpu, page_.data(), static_cast<size_t>(bytes));
    return decoder_->decode_page(page_.data(), static_cast<size_t>(bytes), cpu, sink);
}

int LiveSource::read_full_page(tracefs_cpu* t) {
    if (!splice_works_) return hap_tracefs_cpu_read(t, page_.data(), true);
    errno = 0;
    const int got = hap_tracefs_cpu_buffered_read(t, page_.data(), true);
    // EAGAIN: no full page yet. Anything else (a kernel or file system that
    // cannot splice trace_pipe_raw): plain reads from now on, as before.
    if (got < 0 && errno != EAGAIN && errno != EINTR) {
        splice_works_ = false;
        return hap_tracefs_cpu_read(t, page_.data(), true);
    }
    return got;
}

namespace {
// A read that found nothing left (rather than one cut short by an error).
bool nothing_left(int got) { return got == 0 || (got < 0 && errno == EAGAIN); }
}  // namespace

int LiveSource::consume_full_pages(size_t c, int limit, EventSink& sink, uint64_t& events, bool& read_out) {
    int pages = 0;
    read_out = false;
    for (; pages < limit; ++pages) {
        errno = 0;
        const int got = read_full_page(cpus_[c].second);
        if (got <= 0) {
            read_out = nothing_left(got);
            break;
        }
        events += consume(c, got, sink);
    }
    return pages;
}

uint64_t LiveSource::pump(EventSink& sink) {
    uint64_t n = 0;
    const auto now = std::chrono::steady_clock::now();
    // Every record stamped at or before the newest page read before this
    // call was written before it began: a CPU read to the end in this call
    // has delivered all of its records up to then.
    const uint64_t written_before = *std::max_element(last_page_ts_.begin(), last_page_ts_.end());
    // The partial pages are taken on all CPUs in the same call, so that
    // one call now and then reads every CPU to the end.
    const bool take_partial = now - last_partial_ >= kPartialPageEvery;
    if (take_partial) last_partial_ = now;
    uint64_t delivered_through = UINT64_MAX;
    for (size_t c = 0; c < cpus_.size(); ++c) {
        // A bounded number of pages per CPU per call keeps CPUs served fairly.
        constexpr int kPagesPerCall = 64;
        bool read_out = false;
        consume_full_pages(c, kPagesPerCall, sink, n, read_out);
        // The page a writer is still filling, now and then: a fork or exec
        // in it is attributed while /proc still shows the task (a syscalls
        // run reads an exec'd program's ABI there). Only once the full pages
        // are read (the splice pipe is empty), and not on every call: a
        // partial read copies the records out one by one, and read every
        // few milliseconds it cost more than trace-cmd spends on the run.
        if (take_partial && read_out) {
            errno = 0;
            const int got = hap_tracefs_cpu_read(cpus_[c].second, page_.data(), true);
            if (got > 0) n += consume(c, got, sink);
            read_out = got > 0 || nothing_left(got);
        } else {
            read_out = false;
        }
        // Not read to the end: its records older than the last page read
        // are all delivered (a CPU's records come in time order).
        const uint64_t cpu_through = read_out ? written_before : last_page_ts_[c] ? last_page_ts_[c] - 1 : 0;
        delivered_through = std::min(delivered_through, cpu_through);
    }
    // Less a margin for CPUs whose clocks disagree a little (the "local"
    // trace clock) and for a record stamped just before it is committed.
    const uint64_t through = delivered_through > kClockMargin ? delivered_through - kClockMargin : 0;
    if (!said_through_ || through > *said_through_) {
        sink.on_decoded_through(through);
        said_through_ = through;
    }
    return n;
}

uint64_t LiveSource::drain(EventSink& sink) {
    uint64_t n = 0;
    for (size_t c = 0; c < cpus_.size(); ++c) {
        // Every full page first (the splice pipe emptied), then the rest.
        bool read_out = false;
        consume_full_pages(c, std::numeric_limits<int>::max(), sink, n, read_out);
        for (;;) {
            const int got = hap_tracefs_cpu_flush(cpus_[c].second, page_.data());
            if (got <= 0) break;
            n += consume(c, got, sink);
        }
    }
    sink.on_decoded_through(UINT64_MAX);
    return n;
}

std::string LiveSource::describe() const {
    return "live tracefs (" + session_.buffer_dir() + ", " + std::to_string(cpus_.size()) + " cpus)";
}


EntryPathIndex LiveSource::entry_path_index() const { return EntryPathIndex::of(kallsyms()); }

const Kallsyms& LiveSource::kallsyms() const {
    (void)function_name(0);  // loads kallsyms
    return *kallsyms_;
}

std::string LiveSource::function_name(uint64_t addr) const {
    // Read once, when the first function hit is named (function modes only).
    if (!kallsyms_) {
        auto k = Kallsyms::open("/proc/kallsyms");
        kallsyms_ = k ? std::move(*k) : Kallsyms::parse("");
    }
    return kallsyms_->lookup(addr);
}

}  // namespace hap
