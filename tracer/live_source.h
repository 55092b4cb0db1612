// Streams the per-CPU raw buffers of a running TraceSession and decodes them
// page by page: memory stays bounded by a page per CPU, whatever the run's
// length. Optionally hands every page to a PageRecorder, which writes the
// capture on a thread of its own.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "event_decoder.h"
#include "kallsyms.h"
#include "page_recorder.h"
#include "syscall_abi.h"
#include "trace_session.h"
#include "trace_source.h"

struct tracefs_cpu;
struct tep_handle;

namespace hap {

class LiveSource : public TraceSource {
public:
    static Expected<std::unique_ptr<LiveSource>> open(TraceSession& session);
    ~LiveSource() override;

    uint64_t pump(EventSink& sink) override;
    uint64_t drain(EventSink& sink) override;
    LossCounts losses() const override { return session_.losses(); }
    std::string function_name(uint64_t addr) const override;
    // This kernel's entry-path functions, from /proc/kallsyms (function modes).
    EntryPathIndex entry_path_index() const;
    // This kernel's /proc/kallsyms, read once (function modes).
    const Kallsyms& kallsyms() const;
    std::string describe() const override;
    // Closes the trace_pipe_raw readers; the session can only remove its
    // instance after this (EBUSY otherwise).
    void close();
    uint64_t pages_read() const { return pages_; }
    // Bytes of the largest page trace_pipe_raw hands out (the record's page size).
    size_t page_size() const { return page_.size(); }
    // Every page read from now on is also submitted to `recorder` (not owned;
    // nullptr stops it). Submitting copies the page and never waits on a disk.
    void record_to(PageRecorder* recorder) { recorder_ = recorder; }

private:
    explicit LiveSource(TraceSession& s) : session_(s) {}
    // Decodes the page in page_ from cpus_[c] (and hands it to the recorder).
    uint64_t consume(size_t c, int bytes, EventSink& sink);
    // One full page of a CPU into page_ (splice; plain read where splice fails).
    int read_full_page(tracefs_cpu* t);
    // Full pages of cpus_[c], up to `limit`, decoded into `sink` (their
    // events added to `events`); returns the pages read. `read_out`: the
    // last read found no full page left (not an error, not the limit).
    int consume_full_pages(size_t c, int limit, EventSink& sink, uint64_t& events, bool& read_out);
    // How often pump() also takes the page a writer is still filling: a
    // partial read copies records out one by one, and on every call (the
    // collector pumps every 10 ms) it cost more CPU than trace-cmd spends on
    // the run. Every call tells the sink what has all been delivered
    // (EventSink::on_decoded_through): up to the call's start for a CPU read
    // to the end (partial page included), up to its last page read for
    // another, less kClockMargin. Records that need time order across CPUs
    // (RunAggregate's held syscalls) so wait one to two of these periods.
    static constexpr std::chrono::milliseconds kPartialPageEvery{20};
    static constexpr uint64_t kClockMargin = 1'000'000;  // ns

    TraceSession& session_;
    PageRecorder* recorder_ = nullptr;
    tep_handle* tep_ = nullptr;
    std::unique_ptr<EventDecoder> decoder_;
    std::vector<std::pair<int, tracefs_cpu*>> cpus_;
    std::chrono::steady_clock::time_point last_partial_;
    bool splice_works_ = true;
    std::vector<char> page_;
    uint64_t pages_ = 0;
    std::vector<uint64_t> last_page_ts_;  // per cpus_ entry: its last page header's time stamp (0: none yet)
    std::optional<uint64_t> said_through_;  // the last on_decoded_through time, once said
    mutable std::optional<Kallsyms> kallsyms_;
};

}  // namespace hap
