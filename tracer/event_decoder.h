// Decodes ring-buffer sub-buffers (pages of trace_pipe_raw) into TraceEvents
// with libtraceevent. Field offsets differ between kernels, so every field is
// looked up by name in the event's format, never hard-coded.
#pragma once

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "trace_event.h"

struct tep_handle;
struct tep_event;
struct tep_format_field;
struct kbuffer;

namespace hap {

class EventDecoder {
public:
    // Does not take ownership of tep.
    explicit EventDecoder(tep_handle* tep);
    ~EventDecoder();
    EventDecoder(const EventDecoder&) = delete;
    EventDecoder& operator=(const EventDecoder&) = delete;

    // Decodes one sub-buffer of `size` bytes read from `cpu`; returns the
    // number of events delivered. Records of events hap does not know are skipped.
    uint64_t decode_page(const void* page, size_t size, int cpu, EventSink& sink);
    uint64_t skipped() const { return skipped_; }

private:
    struct Spec {
        EventKind kind;
        tep_format_field* a = nullptr;
        tep_format_field* b = nullptr;
        tep_format_field* comm = nullptr;  // fixed char array or __data_loc string
    };
    void add(const char* system, const char* name, EventKind kind, const char* a, const char* b,
             const char* comm);

    tep_handle* tep_;
    kbuffer* kbuf_;
    std::unordered_map<int, Spec> specs_;  // by event id
    std::vector<unsigned char> scratch_;
    uint64_t skipped_ = 0;
};

}  // namespace hap
