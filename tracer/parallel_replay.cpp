#include "parallel_replay.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "event_decoder.h"

namespace hap {

uint64_t drain_in_parallel(ReplaySource& src, RunAggregate& aggregate, unsigned readers) {
    const size_t files = src.cpu_files();
    const size_t n_readers = std::min<size_t>(readers ? readers : files, files);
    if (n_readers <= 1 || !src.decoder().native_path()) return src.drain(aggregate);

    std::vector<size_t> pages(files);
    size_t rounds = 0;
    for (size_t i = 0; i < files; ++i) rounds = std::max(rounds, pages[i] = src.file_pages(i));

    struct Reader {
        std::unique_ptr<EventDecoder> decoder;
        std::unique_ptr<RunAggregate> shard;
        std::vector<size_t> files;
        uint64_t delivered = 0;
        std::exception_ptr error;
        std::thread thread;
    };
    std::mutex shared;
    std::vector<Reader> rs(n_readers);
    for (size_t r = 0; r < n_readers; ++r) {
        rs[r].decoder = src.new_decoder();  // libtraceevent is read here, on this thread
        rs[r].shard = std::make_unique<RunAggregate>(aggregate, shared);
    }
    for (size_t i = 0; i < files; ++i) rs[i % n_readers].files.push_back(i);
    std::atomic<bool> failed{false};  // one reader's error stops the others early
    auto join_all = [&] {
        for (Reader& r : rs)
            if (r.thread.joinable()) r.thread.join();
    };
    try {
        for (Reader& r : rs)
            r.thread = std::thread([&src, &pages, &failed, &r, rounds] {
                try {
                    for (size_t k = 0; k < rounds && !failed.load(std::memory_order_relaxed); ++k)
                        for (size_t i : r.files)
                            if (k < pages[i]) r.delivered += src.decode_file_page(i, k, *r.decoder, *r.shard);
                } catch (...) {
                    r.error = std::current_exception();
                    failed = true;
                }
            });
    } catch (...) {
        // A thread that could not be started (EAGAIN): the started ones
        // stop early and are joined, never left to std::terminate.
        failed = true;
        join_all();
        throw;
    }
    join_all();
    for (Reader& r : rs)
        if (r.error) std::rethrow_exception(r.error);

    uint64_t delivered = 0, skipped = 0;
    for (Reader& r : rs) {
        aggregate.merge(*r.shard);
        delivered += r.delivered;
        skipped += r.decoder->skipped();
    }
    src.finish_files(skipped);
    return delivered;
}

}  // namespace hap
