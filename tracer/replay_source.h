// Replays a recorded capture directory (capture_files.h) through the same
// decoder as a live run: the unit tests' way to real kernel data.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"
#include "event_decoder.h"
#include "kallsyms.h"
#include "page_file.h"
#include "syscall_abi.h"
#include "task_table.h"
#include "task_abi.h"
#include "trace_source.h"

struct tep_handle;

namespace hap {

class ReplaySource : public TraceSource {
public:
    static Expected<std::unique_ptr<ReplaySource>> open(const std::string& dir);
    ~ReplaySource() override;

    uint64_t pump(EventSink& sink) override;  // one page per CPU per call
    uint64_t drain(EventSink& sink) override;
    LossCounts losses() const override { return losses_; }
    std::string function_name(uint64_t addr) const override;
    std::string describe() const override { return "capture " + dir_; }
    const nlohmann::json& meta() const { return meta_; }
    // Seeds `tasks` with the traced tasks meta.json lists, in their roles
    // (a role hap does not know is unknown), as the live run had them.
    void seed_tasks(TaskTable& tasks) const;
    // The programs' ABIs read live (meta "syscall_abis": the seeded tasks'
    // and each exec's, by tid and timestamp). A capture recorded before hap
    // told ABIs apart has none: its syscalls replay as unknown:NR unless
    // function records show their entry path.
    void seed_abis(TaskAbis& abis) const;
    // The recorded kernel's entry-path functions (function captures only).
    EntryPathIndex entry_path_index() const;
    uint64_t truncated_bytes() const { return truncated_; }
    // Records and pages the decoder could not use (unknown events, corrupt pages).
    uint64_t decoder_skipped() const { return decoder_->skipped() + other_skipped_ + unreadable_pages_; }

    // For drain_in_parallel (parallel_replay.h), which reads the CPU files
    // page by page on threads of its own.
    size_t cpu_files() const { return files_.size(); }
    int file_cpu(size_t i) const { return files_[i].cpu; }
    size_t file_pages(size_t i) const { return files_[i].file.pages() - files_[i].next; }
    // Decodes page n (counted from where the file stands) of file i with a
    // decoder of the caller's (new_decoder). Each file has one buffer: one
    // thread per file. A page that cannot be read is skipped (counted in
    // decoder_skipped()).
    uint64_t decode_file_page(size_t i, size_t n, EventDecoder& decoder, EventSink& sink);
    std::unique_ptr<EventDecoder> new_decoder() const;
    const EventDecoder& decoder() const { return *decoder_; }
    // After the files were read that way: they are done, their short tails
    // counted as truncated, and `skipped` records added to decoder_skipped().
    void finish_files(uint64_t skipped);

private:
    ReplaySource() = default;
    bool step(EventSink& sink, uint64_t& n);

    std::string dir_;
    nlohmann::json meta_;
    tep_handle* tep_ = nullptr;
    std::unique_ptr<EventDecoder> decoder_;
    // Each CPU's file, read a chunk of pages at a time into a buffer of
    // its own (page_file.h says why not mmap). `next` is the next page;
    // `done` once its short tail, if any, is counted as truncated.
    struct CpuFile {
        int cpu;
        PageFile file;
        size_t next = 0;
        bool done = false;
    };
    std::vector<CpuFile> files_;
    size_t page_size_ = 0;
    std::atomic<uint64_t> unreadable_pages_{0};  // pages a read failed on (parallel readers too)
    LossCounts losses_;
    uint64_t truncated_ = 0;
    uint64_t other_skipped_ = 0;  // by decoders of drain_in_parallel
    mutable std::optional<Kallsyms> kallsyms_;  // the recorded kernel's, when the capture has them
};

}  // namespace hap
