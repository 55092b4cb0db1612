#include "event_decoder.h"

#include <algorithm>
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

// kbuffer trusts a page's header: a commit size past the page, or a "lost
// events" count stored past it, makes it read beyond the buffer, and so can
// an event whose length runs past the end (found by tests/fuzz). These
// bounds are checked before kbuffer sees the page.
constexpr uint64_t kCommitMask = (1u << 27) - 1;
constexpr uint64_t kMissingEvents = 1ull << 31, kMissingStored = 1ull << 30;
constexpr size_t kHeaderSlack = 16;  // kbuffer reads an event header (up to 16 bytes) at the last index

// kbuffer skips padding and time-extend records in a loop of its own, and a
// corrupt length there can point back at the same record: it never returns
// (found by tests/fuzz). This walks the records the way kbuffer 1.7 does
// (translate_data, update_pointers) and refuses a page that would not move
// forward. `data` holds at least `size` + kHeaderSlack bytes.
bool records_advance(const unsigned char* data, uint32_t size, bool swap, bool big_endian) {
    auto read4 = [&](uint32_t at) {
        uint32_t v;
        std::memcpy(&v, data + at, 4);
        return swap ? __builtin_bswap32(v) : v;
    };
    int64_t next = 0;
    while (next < size) {
        const uint32_t curr = static_cast<uint32_t>(next);
        const uint32_t head = read4(curr);
        const unsigned type_len = big_endian ? head >> 27 : head & 0x1f;
        int64_t index = curr + 4;
        int32_t length;
        switch (type_len) {
            case 29: length = static_cast<int32_t>(read4(curr + 4)); break;  // padding
            case 30:
            case 31: index += 4; length = 0; break;                           // time extend / stamp
            case 0: {
                int32_t l = static_cast<int32_t>(read4(curr + 4) - 4u);
                length = static_cast<int32_t>((static_cast<uint32_t>(l) + 3u) & ~3u);
                index += 4;
                break;
            }
            default: length = static_cast<int32_t>(type_len * 4); break;
        }
        next = static_cast<int64_t>(static_cast<uint32_t>(index + length));  // kbuffer's unsigned arithmetic
        if (next <= curr) return false;
    }
    return true;
}

}  // namespace

EventDecoder::EventDecoder(tep_handle* tep) : tep_(tep), kbuf_(tep_kbuffer(tep)) {
    same_endian_ = tep_is_file_bigendian(tep) == tep_is_local_bigendian(tep);
    if (kbuf_) {
        // Where data starts (12 or 16) as kbuffer itself computes it: load an empty page.
        std::vector<unsigned char> empty(64, 0);
        if (kbuffer_load_subbuffer(kbuf_, empty.data()) == 0) data_start_ = static_cast<size_t>(kbuffer_start_of_data(kbuf_));
        long_size_ = data_start_ == 12 ? 4 : 8;
    }
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

EventDecoder::NumberAt EventDecoder::number_at(tep_format_field* f) {
    NumberAt n;
    if (!f || (f->flags & TEP_FIELD_IS_ARRAY) || (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8))
        return n;
    n.offset = f->offset;
    n.size = f->size;
    n.is_signed = f->flags & TEP_FIELD_IS_SIGNED;
    return n;
}

inline int64_t EventDecoder::read(const NumberAt& n, const void* data, int size) {
    if (!n.present() || n.offset + n.size > size) return 0;
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
    if (static_cast<size_t>(ev->id) >= by_type_.size()) by_type_.resize(static_cast<size_t>(ev->id) + 1);
    by_type_[static_cast<size_t>(ev->id)] = s;
}

uint64_t EventDecoder::decode_page(const void* page, size_t size, int cpu, EventSink& sink, size_t readable_after) {
    if (!kbuf_ || size == 0) return 0;
    // kbuffer reads past `size` up to its sub-buffer size: a short page (the
    // end of a flush) is copied into a zeroed buffer first. kbuffer only reads
    // the page when the endianness matches, so a whole page is used in place.
    const size_t subbuf = static_cast<size_t>(kbuffer_subbuffer_size(kbuf_));
    if (size < data_start_) return 0;
    uint64_t commit = 0;
    {
        unsigned char raw[8] = {};
        std::memcpy(raw, static_cast<const unsigned char*>(page) + 8, long_size_);
        if (!same_endian_) std::reverse(raw, raw + long_size_);
        if (long_size_ == 4) {
            uint32_t c32;
            std::memcpy(&c32, raw, 4);
            commit = c32;
        } else {
            std::memcpy(&commit, raw, 8);
        }
    }
    const size_t held = std::max(size, subbuf);  // bytes kbuffer may touch once a short page is padded
    size_t need = data_start_ + (commit & kCommitMask);
    if ((commit & kMissingEvents) && (commit & kMissingStored)) need += long_size_;
    if (need > held) {
        ++skipped_;
        return 0;
    }
    void* load = const_cast<void*>(page);
    if (size < subbuf || !same_endian_ || !type_.present() || need + kHeaderSlack > size + readable_after) {
        scratch_.assign(held + kHeaderSlack, 0);
        std::memcpy(scratch_.data(), page, size);
        load = scratch_.data();
    }
    const unsigned char* end = static_cast<const unsigned char*>(load) + data_start_ + (commit & kCommitMask);
    if (!records_advance(static_cast<const unsigned char*>(load) + data_start_, static_cast<uint32_t>(commit & kCommitMask),
                         !same_endian_, tep_is_file_bigendian(tep_))) {
        ++skipped_;
        return 0;
    }
    if (kbuffer_load_subbuffer(kbuf_, load) < 0) return 0;
    if (kbuffer_missed_events(kbuf_)) sink.on_gap(cpu);

    uint64_t delivered = 0;
    unsigned long long ts = 0;
    tep_record rec{};
    rec.cpu = cpu;
    const void* last = nullptr;
    for (void* data = kbuffer_read_event(kbuf_, &ts); data; data = kbuffer_next_event(kbuf_, &ts)) {
        rec.ts = ts;
        rec.data = data;
        rec.size = kbuffer_event_size(kbuf_);
        // A corrupt length can send kbuffer back to the same record forever
        // (found by tests/fuzz): records must move forward through the page.
        if (data <= last) {
            ++skipped_;
            break;
        }
        last = data;
        if (rec.size < 0 || static_cast<const unsigned char*>(data) + rec.size > end) {
            ++skipped_;  // an event longer than the page: the rest of it is not trusted
            break;
        }
        const Spec* sp = nullptr;
        if (same_endian_ && type_.present()) {
            const int64_t type = read(type_, data, rec.size);
            if (type >= 0 && static_cast<size_t>(type) < by_type_.size()) sp = &by_type_[static_cast<size_t>(type)];
        } else if (tep_event* ev = tep_find_event_by_record(tep_, &rec); ev && ev->id >= 0 &&
                                                                      static_cast<size_t>(ev->id) < by_type_.size()) {
            sp = &by_type_[static_cast<size_t>(ev->id)];
        }
        if (!sp || !sp->known) {
            ++skipped_;
            continue;
        }
        const Spec& s = *sp;
        TraceEvent out;
        out.kind = s.kind;
        out.cpu = cpu;
        out.ts = ts;
        if (same_endian_) {
            out.pid = static_cast<int>(read(pid_, data, rec.size));
            out.flags = static_cast<unsigned>(read(flags_, data, rec.size));
            out.a = read(s.a, data, rec.size);
            out.b = read(s.b, data, rec.size);
        } else {
            // A capture from a machine of the other byte order: the library swaps.
            out.pid = tep_data_pid(tep_, &rec);
            out.flags = static_cast<unsigned>(tep_data_flags(tep_, &rec));
            unsigned long long v = 0;
            if (s.field_a && tep_read_number_field(s.field_a, data, &v) == 0) out.a = static_cast<int64_t>(v);
            if (s.field_b && tep_read_number_field(s.field_b, data, &v) == 0) out.b = static_cast<int64_t>(v);
        }
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
