#include "event_decoder.h"

#include <algorithm>
#include <cstring>
#include <string_view>

extern "C" {
#include <event-parse.h>
}

#include "ring_page.h"

namespace hap {
namespace {

// exec's filename is a path; the task's comm becomes its last component.
void trim_to_basename(std::string_view& path) {
    if (auto slash = path.rfind('/'); slash != std::string_view::npos) path.remove_prefix(slash + 1);
}

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

EventDecoder::EventDecoder(tep_handle* tep) : tep_(tep) {
    layout_.big_endian = tep_is_file_bigendian(tep);
    layout_.swap = layout_.big_endian != tep_is_local_bigendian(tep);
    // The page header's commit field is a kernel long (events/header_page).
    layout_.long_size = tep_get_header_page_size(tep) == 4 ? 4 : 8;
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

EventDecoder::~EventDecoder() = default;

EventDecoder::NumberAt EventDecoder::number_at(tep_format_field* f) {
    NumberAt n;
    if (!f || (f->flags & TEP_FIELD_IS_ARRAY) || (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8))
        return n;
    n.offset = f->offset;
    n.size = f->size;
    n.is_signed = f->flags & TEP_FIELD_IS_SIGNED;
    return n;
}

inline int64_t EventDecoder::load(const NumberAt& n, const void* data) {
    const unsigned char* p = static_cast<const unsigned char*>(data) + n.offset;
    switch (n.size) {
        case 1: { uint8_t v; std::memcpy(&v, p, 1); return n.is_signed ? int8_t(v) : v; }
        case 2: { uint16_t v; std::memcpy(&v, p, 2); return n.is_signed ? int16_t(v) : v; }
        case 4: { uint32_t v; std::memcpy(&v, p, 4); return n.is_signed ? int32_t(v) : int64_t(v); }
        default: { int64_t v; std::memcpy(&v, p, 8); return v; }
    }
}

void EventDecoder::add(const char* system, const char* name, EventKind kind, const char* a, const char* b,
                       const char* comm) {
    tep_event* ev = tep_find_event_by_name(tep_, system, name);
    if (!ev || ev->id < 0) return;  // not in this kernel or not loaded: events of it are skipped
    if (!type_.present()) {
        type_ = number_at(tep_find_common_field(ev, "common_type"));
        pid_ = number_at(tep_find_common_field(ev, "common_pid"));
        flags_ = number_at(tep_find_common_field(ev, "common_flags"));
    }
    Spec s;
    s.known = true;
    s.kind = kind;
    if (a) s.field_a = tep_find_field(ev, a);
    if (b) s.field_b = tep_find_field(ev, b);
    s.a = number_at(s.field_a);
    s.b = number_at(s.field_b);
    if (comm) s.comm = tep_find_field(ev, comm);
    if (a && !s.a.present()) return;  // a format without the key field is not one we understand
    // Bytes a record must have for every number read from it.
    for (const NumberAt* n : {&type_, &pid_, &flags_, &s.a, &s.b})
        if (n->present()) s.need = std::max(s.need, n->offset + n->size);
    if (static_cast<size_t>(ev->id) >= by_type_.size()) by_type_.resize(static_cast<size_t>(ev->id) + 1);
    by_type_[static_cast<size_t>(ev->id)] = s;
}

uint64_t EventDecoder::decode_page(const void* page, size_t size, int cpu, EventSink& sink) {
    RingPage ring;
    if (!ring.open(page, size, layout_)) {
        if (size > 0) ++skipped_;  // a header that points past the page: nothing in it is trusted
        return 0;
    }
    if (ring.missed_events()) sink.on_gap(cpu);

    uint64_t delivered = 0, exits = 0;
    bool whole;
    const bool count_exits = sink.counts_only(EventKind::FuncGraphExit);
    if (!layout_.swap && type_.present()) {
        // The common case, once per record: fields read at offsets fixed for
        // the whole capture, one length check per record.
        whole = ring.for_each([&](const RingRecord& r) {
            const int rsize = static_cast<int>(r.size);
            const size_t type = rsize >= type_.offset + type_.size ? static_cast<size_t>(load(type_, r.data)) : SIZE_MAX;
            const Spec* sp = type < by_type_.size() ? &by_type_[type] : nullptr;
            if (!sp || !sp->known || rsize < sp->need) {
                ++skipped_;
                return;
            }
            const Spec& s = *sp;
            if (count_exits && s.kind == EventKind::FuncGraphExit) {
                ++exits;
                return;
            }
            TraceEvent out;
            out.kind = s.kind;
            out.cpu = cpu;
            out.ts = r.ts;
            // funcgraph_exit is half of a function_graph trace; its entry
            // already named the function, so only the record is counted.
            if (s.kind != EventKind::FuncGraphExit) {
                out.pid = static_cast<int>(load(pid_, r.data));
                out.flags = static_cast<unsigned>(load(flags_, r.data));
                if (s.a.present()) out.a = load(s.a, r.data);
                if (s.b.present()) out.b = load(s.b, r.data);
                if (s.comm) out.comm = read_string(s.comm, r.data, rsize);
                if (s.kind == EventKind::ProcessExec) {
                out.path = out.comm;
                trim_to_basename(out.comm);
            }
            }
            sink.on_event(out);
            ++delivered;
        });
    } else {
        // A capture from a machine of the other byte order: the library swaps.
        tep_record rec{};
        rec.cpu = cpu;
        whole = ring.for_each([&](const RingRecord& r) {
            rec.ts = r.ts;
            rec.data = const_cast<unsigned char*>(r.data);
            rec.size = static_cast<int>(r.size);
            tep_event* ev = tep_find_event_by_record(tep_, &rec);
            if (!ev || ev->id < 0 || static_cast<size_t>(ev->id) >= by_type_.size() || !by_type_[ev->id].known) {
                ++skipped_;
                return;
            }
            const Spec& s = by_type_[static_cast<size_t>(ev->id)];
            TraceEvent out;
            out.kind = s.kind;
            out.cpu = cpu;
            out.ts = r.ts;
            out.pid = tep_data_pid(tep_, &rec);
            out.flags = static_cast<unsigned>(tep_data_flags(tep_, &rec));
            unsigned long long v = 0;
            if (s.field_a && tep_read_number_field(s.field_a, r.data, &v) == 0) out.a = static_cast<int64_t>(v);
            if (s.field_b && tep_read_number_field(s.field_b, r.data, &v) == 0) out.b = static_cast<int64_t>(v);
            if (s.comm) out.comm = read_string(s.comm, r.data, rec.size);
            if (s.kind == EventKind::ProcessExec) {
                out.path = out.comm;
                trim_to_basename(out.comm);
            }
            sink.on_event(out);
            ++delivered;
        });
    }
    if (exits) {
        sink.on_counted(EventKind::FuncGraphExit, exits);
        delivered += exits;
    }
    if (!whole) ++skipped_;  // a record runs past the committed bytes: the rest is not trusted
    return delivered;
}

}  // namespace hap
