#include "event_decoder.h"

#include <cstring>
#include <string_view>

extern "C" {
#include <event-parse.h>
#include <kbuffer.h>
}

namespace hap {
namespace {

std::string_view read_string(tep_format_field* f, const void* data, int size) {
    const char* base = static_cast<const char*>(data);
    if (f->flags & TEP_FIELD_IS_DYNAMIC) {
        unsigned long long loc = 0;
        if (tep_read_number_field(f, data, &loc) != 0) return {};
        unsigned off = loc & 0xffff, len = static_cast<unsigned>(loc >> 16);
        if (f->flags & TEP_FIELD_IS_RELATIVE) off += f->offset + f->size;
        if (off >= static_cast<unsigned>(size)) return {};
        len = std::min<unsigned>(len, static_cast<unsigned>(size) - off);
        return std::string_view(base + off, strnlen(base + off, len));
    }
    if (f->offset + f->size > size) return {};
    return std::string_view(base + f->offset, strnlen(base + f->offset, static_cast<size_t>(f->size)));
}

}  // namespace

EventDecoder::EventDecoder(tep_handle* tep) : tep_(tep), kbuf_(tep_kbuffer(tep)) {
    add("raw_syscalls", "sys_enter", EventKind::SyscallEnter, "id", nullptr, nullptr);
    add("sched", "sched_process_fork", EventKind::ProcessFork, "child_pid", "parent_pid", "child_comm");
    add("sched", "sched_process_exit", EventKind::ProcessExit, "pid", nullptr, "comm");
    add("sched", "sched_process_exec", EventKind::ProcessExec, "pid", "old_pid", "filename");
    add("kvm", "kvm_exit", EventKind::KvmExit, "exit_reason", "isa", nullptr);
    add("kvm", "kvm_hypercall", EventKind::KvmHypercall, "nr", nullptr, nullptr);
    add("kvm", "kvm_pio", EventKind::KvmPio, "port", "rw", nullptr);
    add("kvm", "kvm_mmio", EventKind::KvmMmio, "gpa", "type", nullptr);
    add("ftrace", "function", EventKind::FunctionEntry, "ip", nullptr, nullptr);
    add("ftrace", "funcgraph_entry", EventKind::FuncGraphEntry, "func", "depth", nullptr);
    add("ftrace", "funcgraph_exit", EventKind::FuncGraphExit, "func", "depth", nullptr);
}

EventDecoder::~EventDecoder() {
    if (kbuf_) kbuffer_free(kbuf_);
}

void EventDecoder::add(const char* system, const char* name, EventKind kind, const char* a,
                       const char* b, const char* comm) {
    tep_event* ev = tep_find_event_by_name(tep_, system, name);
    if (!ev) return;  // not in this kernel or not loaded: events of it are skipped
    Spec s{kind};
    if (a) s.a = tep_find_field(ev, a);
    if (b) s.b = tep_find_field(ev, b);
    if (comm) s.comm = tep_find_field(ev, comm);
    if (a && !s.a) return;  // a format without the key field is not one we understand
    specs_[ev->id] = s;
}

uint64_t EventDecoder::decode_page(const void* page, size_t size, int cpu, EventSink& sink) {
    if (!kbuf_ || size == 0) return 0;
    // kbuffer wants a writable sub-buffer of its own size; pages from a capture
    // file are const and may be short at the end of a flush.
    const size_t subbuf = static_cast<size_t>(kbuffer_subbuffer_size(kbuf_));
    scratch_.assign(std::max(size, subbuf), 0);
    std::memcpy(scratch_.data(), page, size);
    if (kbuffer_load_subbuffer(kbuf_, scratch_.data()) < 0) return 0;
    if (kbuffer_missed_events(kbuf_)) sink.on_gap(cpu);

    uint64_t delivered = 0;
    unsigned long long ts = 0;
    tep_record rec{};
    rec.cpu = cpu;
    for (void* data = kbuffer_read_event(kbuf_, &ts); data; data = kbuffer_next_event(kbuf_, &ts)) {
        rec.ts = ts;
        rec.data = data;
        rec.size = kbuffer_event_size(kbuf_);
        tep_event* ev = tep_find_event_by_record(tep_, &rec);
        auto it = ev ? specs_.find(ev->id) : specs_.end();
        if (it == specs_.end()) {
            ++skipped_;
            continue;
        }
        const Spec& s = it->second;
        TraceEvent out;
        out.kind = s.kind;
        out.cpu = cpu;
        out.ts = ts;
        out.pid = tep_data_pid(tep_, &rec);
        out.flags = static_cast<unsigned>(tep_data_flags(tep_, &rec));
        unsigned long long v = 0;
        if (s.a && tep_read_number_field(s.a, data, &v) == 0) out.a = static_cast<int64_t>(v);
        if (s.b && tep_read_number_field(s.b, data, &v) == 0) out.b = static_cast<int64_t>(v);
        if (s.comm) out.comm = read_string(s.comm, data, rec.size);
        if (s.kind == EventKind::ProcessExec) {
            // filename is a path; the task's comm becomes its last component.
            if (auto slash = out.comm.rfind('/'); slash != std::string_view::npos)
                out.comm.remove_prefix(slash + 1);
        }
        sink.on_event(out);
        ++delivered;
    }
    return delivered;
}

}  // namespace hap
