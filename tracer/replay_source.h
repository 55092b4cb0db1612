// Replays a recorded capture directory (capture_files.h) through the same
// decoder as a live run: the unit tests' way to real kernel data.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"
#include "event_decoder.h"
#include "kallsyms.h"
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
    uint64_t decoder_skipped() const { return decoder_->skipped() + other_skipped_; }

    // For drain_in_parallel (parallel_replay.h), which reads the CPU files
    // page by page on threads of its own.
    size_t cpu_files() const { return files_.size(); }
    int file_cpu(size_t i) const { return files_[i].cpu; }
    size_t file_pages(size_t i) const { return (files_[i].size - files_[i].next) / page_size_; }
    // Decodes page n (counted from where the file stands) of file i with a
    // decoder of the caller's (new_decoder) and releases what lies behind.
    uint64_t decode_file_page(size_t i, size_t n, EventDecoder& decoder, EventSink& sink) const;
    std::unique_ptr<EventDecoder> new_decoder() const;
    const EventDecoder& decoder() const { return *decoder_; }
    // After the files were read that way: they are done, their short tails
    // counted as truncated, and `skipped` records added to decoder_skipped().
    void finish_files(uint64_t skipped);

private:
    ReplaySource() = default;
    bool step(EventSink& sink, uint64_t& n);
    // Drops decoded pages from this process's memory every release_window_ bytes.
    void release_behind(const char* data, size_t next) const;

    std::string dir_;
    nlohmann::json meta_;
    tep_handle* tep_ = nullptr;
    std::unique_ptr<EventDecoder> decoder_;
    // Each CPU's file mapped whole: pages are decoded in place, no copy
    // through read(). `next` is the offset of the next page.
    struct CpuFile {
        int cpu;
        const char* data = nullptr;
        size_t size = 0, next = 0;
    };
    std::vector<CpuFile> files_;
    size_t page_size_ = 0;
    size_t release_window_ = 1u << 20;  // set at open: see release_behind
    LossCounts losses_;
    uint64_t truncated_ = 0;
    uint64_t other_skipped_ = 0;  // by decoders of drain_in_parallel
    mutable std::optional<Kallsyms> kallsyms_;  // the recorded kernel's, when the capture has them
};

}  // namespace hap
