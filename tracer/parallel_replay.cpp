#include "parallel_replay.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "event_decoder.h"

namespace hap {
namespace {

constexpr size_t kAhead = 64;  // decoded pages a reader may hold for the sink
// Threads wake each other per batch, not per page: a futex wake per page
// cost more than decoding it on this 2-core VM.
constexpr size_t kBatch = 16;
constexpr size_t kKinds = static_cast<size_t>(EventKind::FuncGraphExit) + 1;

// The calls decoding one page made, kept in order and made again on the
// real sink by the caller's thread. Event comm/path views point into the
// capture's mapping, which outlives the drain.
class RecordedPage : public EventSink {
public:
    // `counts`: the real sink's counts_only per kind; `runs`: its takes_function_runs.
    RecordedPage(const std::array<bool, kKinds>& counts, bool runs) : counts_(counts), runs_(runs) {}

    void on_event(const TraceEvent& ev) override {
        ops_.push_back(Op{Op::Event, ev.kind, events_.size()});
        events_.push_back(ev);
    }
    void on_gap(int) override { ops_.push_back(Op{Op::Gap, {}, 0}); }
    bool counts_only(EventKind kind) const override { return counts_[static_cast<size_t>(kind)]; }
    void on_counted(EventKind kind, uint64_t n) override { ops_.push_back(Op{Op::Counted, kind, n}); }
    bool takes_function_runs() const override { return runs_; }
    void on_function_run(EventKind kind, int, const FunctionRecord* records, size_t n) override {
        ops_.push_back(Op{Op::Run, kind, records_.size(), n});
        records_.insert(records_.end(), records, records + n);
    }

    void replay(EventSink& sink) const {
        for (const Op& op : ops_) switch (op.type) {
                case Op::Event: sink.on_event(events_[op.at]); break;
                case Op::Gap: sink.on_gap(cpu); break;
                case Op::Counted: sink.on_counted(op.kind, op.at); break;
                case Op::Run: sink.on_function_run(op.kind, cpu, records_.data() + op.at, op.n); break;
            }
    }
    void clear() {
        ops_.clear();
        events_.clear();
        records_.clear();
    }

    int cpu = 0;
    uint64_t delivered = 0;

private:
    struct Op {
        enum Type : uint8_t { Event, Gap, Counted, Run } type;
        EventKind kind;
        uint64_t at;  // index into events_ or records_; Counted: the count
        size_t n = 0;
    };
    const std::array<bool, kKinds>& counts_;
    const bool runs_;
    std::vector<Op> ops_;
    std::vector<TraceEvent> events_;
    std::vector<FunctionRecord> records_;
};

// One reader thread: its files' pages, decoded in the order the sink takes them.
struct Reader {
    std::unique_ptr<EventDecoder> decoder;
    std::vector<size_t> files;
    std::mutex mu;
    std::condition_variable changed;
    std::deque<std::unique_ptr<RecordedPage>> ready;
    std::vector<std::unique_ptr<RecordedPage>> spare;
    bool stop = false;
    std::pair<size_t, size_t> last{0, SIZE_MAX};  // (round, file) of its last page
    std::thread thread;
};

}  // namespace

uint64_t drain_in_parallel(ReplaySource& src, EventSink& sink, unsigned readers) {
    const size_t files = src.cpu_files();
    const size_t n_readers = std::min<size_t>(readers ? readers : files, files);
    if (n_readers <= 1 || !src.decoder().native_path()) return src.drain(sink);

    std::array<bool, kKinds> counts{};
    for (size_t k = 0; k < kKinds; ++k) counts[k] = sink.counts_only(static_cast<EventKind>(k));
    const bool runs = sink.takes_function_runs();
    std::vector<size_t> pages(files);
    size_t rounds = 0;
    for (size_t i = 0; i < files; ++i) rounds = std::max(rounds, pages[i] = src.file_pages(i));

    // drain() takes page k of every file in file order, then page k + 1:
    // reader r decodes the files i with i % n_readers == r in that order, so
    // its queue holds pages in the order the sink wants them from it.
    std::vector<std::unique_ptr<Reader>> rs;
    for (size_t r = 0; r < n_readers; ++r) {
        rs.push_back(std::make_unique<Reader>());
        rs.back()->decoder = src.new_decoder();  // libtraceevent is read here, on this thread
    }
    for (size_t i = 0; i < files; ++i) rs[i % n_readers]->files.push_back(i);
    for (auto& r : rs)  // the reader's last page: it wakes the sink's thread whatever the batch
        for (size_t i : r->files)
            if (pages[i] && (pages[i] - 1 > r->last.first || (pages[i] - 1 == r->last.first && i > r->last.second) ||
                             r->last.second == SIZE_MAX))
                r->last = {pages[i] - 1, i};
    auto stop_all = [&] {
        for (auto& r : rs) {
            {
                std::lock_guard lk(r->mu);
                r->stop = true;
            }
            r->changed.notify_all();
            if (r->thread.joinable()) r->thread.join();
        }
    };
    for (auto& rp : rs) {
        Reader* r = rp.get();
        r->thread = std::thread([&src, &pages, &counts, r, rounds, runs] {
            for (size_t k = 0; k < rounds; ++k)
                for (size_t i : r->files) {
                    if (k >= pages[i]) continue;
                    std::unique_ptr<RecordedPage> page;
                    {
                        std::unique_lock lk(r->mu);
                        r->changed.wait(lk, [&] { return r->stop || r->ready.size() < kAhead; });
                        if (r->stop) return;
                        if (!r->spare.empty()) {
                            page = std::move(r->spare.back());
                            r->spare.pop_back();
                        }
                    }
                    if (!page) page = std::make_unique<RecordedPage>(counts, runs);
                    page->clear();
                    page->cpu = src.file_cpu(i);
                    page->delivered = src.decode_file_page(i, k, *r->decoder, *page);
                    bool wake;
                    {
                        std::lock_guard lk(r->mu);
                        r->ready.push_back(std::move(page));
                        wake = r->ready.size() % kBatch == 0 || r->last == std::make_pair(k, i);
                    }
                    if (wake) r->changed.notify_all();
                }
        });
    }

    uint64_t delivered = 0;
    try {
        for (size_t k = 0; k < rounds; ++k)
            for (size_t i = 0; i < files; ++i) {
                if (k >= pages[i]) continue;
                Reader& r = *rs[i % n_readers];
                std::unique_ptr<RecordedPage> page;
                bool wake;
                {
                    std::unique_lock lk(r.mu);
                    r.changed.wait(lk, [&] { return !r.ready.empty(); });
                    page = std::move(r.ready.front());
                    r.ready.pop_front();
                    wake = r.ready.size() == kAhead / 2;  // the reader may wait for room
                }
                if (wake) r.changed.notify_all();
                page->replay(sink);
                delivered += page->delivered;
                std::lock_guard lk(r.mu);
                r.spare.push_back(std::move(page));
            }
    } catch (...) {
        stop_all();  // a sink that throws: no reader is left waiting for room
        throw;
    }
    stop_all();
    uint64_t skipped = 0;
    for (auto& r : rs) skipped += r->decoder->skipped();
    src.finish_files(skipped);
    return delivered;
}

}  // namespace hap
