#include "event_decoder.h"

#include <algorithm>
#include <cstring>
#include <string_view>

extern "C" {
#include <event-parse.h>
}

#include "function_tally.h"
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
        std_header_ = type_.offset == 0 && type_.size == 2 && !type_.is_signed && flags_.offset == 2 &&
                      flags_.size == 1 && pid_.offset == 4 && pid_.size == 4;
    }
    Spec s;
    s.known = true;
    s.kind = kind;
    s.function = kind == EventKind::FunctionEntry || kind == EventKind::FuncGraphEntry;
    if (a) s.field_a = tep_find_field(ev, a);
    if (b) s.field_b = tep_find_field(ev, b);
    s.a = number_at(s.field_a);
    s.b = number_at(s.field_b);
    if (comm) s.comm = tep_find_field(ev, comm);
    if (a && !s.a.present()) return;  // a format without the key field is not one we understand
    // Bytes a record must have for every number read from it.
    s.need = 0;
    for (const NumberAt* n : {&type_, &pid_, &flags_, &s.a, &s.b})
        if (n->present()) s.need = std::max(s.need, n->offset + n->size);
    if (static_cast<size_t>(ev->id) >= by_type_.size()) by_type_.resize(static_cast<size_t>(ev->id) + 1);
    by_type_[static_cast<size_t>(ev->id)] = s;
}

// Out of the page walk's loop: rare records (syscalls, sched, kvm) would
// otherwise crowd the registers the common ones need.
__attribute__((noinline)) void EventDecoder::deliver(const Spec& s, const unsigned char* data, uint32_t size,
                                                     uint64_t ts, int cpu, int pid, unsigned flags, EventSink& sink) {
    TraceEvent out;
    out.kind = s.kind;
    out.cpu = cpu;
    out.ts = ts;
    if (s.kind != EventKind::FuncGraphExit) {
        out.pid = pid;
        out.flags = flags;
        if (s.a.present()) out.a = load(s.a, data);
        if (s.b.present()) out.b = load(s.b, data);
        if (s.comm) out.comm = read_string(s.comm, data, static_cast<int>(size));
        if (s.kind == EventKind::ProcessExec) {
            out.path = out.comm;
            trim_to_basename(out.comm);
        }
    }
    sink.on_event(out);
}

void EventDecoder::build_hot(bool count_exits, bool runs) {
    hot_.assign(by_type_.size(), Hot{});
    for (size_t id = 0; id < by_type_.size(); ++id) {
        const Spec& s = by_type_[id];
        if (!s.known) continue;  // Skip, with a need no record meets
        Hot& h = hot_[id];
        h.need = s.need;
        h.kind = s.kind;
        h.route = count_exits && s.kind == EventKind::FuncGraphExit ? Route::CountExit
                  : runs && s.function                              ? Route::FunctionRun
                                                                    : Route::Event;
        if (h.route == Route::CountExit && h.need >= 8) {  // the lane reads 8 bytes at 0 (every format has them)
            h.lane = kLaneExit;
            h.exits = 1;
        } else if (h.route == Route::FunctionRun && s.a.size == 8) {
            h.lane = s.kind == EventKind::FunctionEntry ? kLaneFunction : kLaneFuncGraph;
            h.runs = 1;
            h.addr_offset = s.a.offset;
        }
    }
    tallied_ = Tallied{};
    for (size_t id = 0; id < hot_.size(); ++id) {
        const Hot& h = hot_[id];
        if (h.lane == kLaneExit) {
            tallied_.exit = static_cast<uint32_t>(id);
            tallied_.exit_need = h.need;
        } else if (h.runs && h.addr_offset == kTalliedAddr &&
                   (tallied_.fn == kNoType || h.kind == EventKind::FuncGraphEntry)) {
            tallied_.fn = static_cast<uint32_t>(id);
            tallied_.fn_need = h.need;
            tallied_.fn_kind = h.kind;
        }
    }
    hot_for_ = int(count_exits) | int(runs) << 1;
}

template <bool StdHeader, bool Tally>
bool EventDecoder::decode_native(const RingPage& ring, int cpu, EventSink& sink, FunctionTally* tally,
                                 uint64_t& delivered) {
    static_assert(StdHeader || !Tally, "the tallied walk reads the common fields at their usual offsets");
    // Fields are read at offsets fixed for the whole capture, with one
    // length check per record (Hot::need).
    const bool count_exits = sink.counts_only(EventKind::FuncGraphExit);
    const bool runs = sink.takes_function_runs();
    if (hot_for_ != (int(count_exits) | int(runs) << 1)) build_hot(count_exits, runs);
    constexpr size_t kRun = 256;
    FunctionRecord run[kRun];
    size_t in_run = 0;
    // The kind of the run being made: that of run_lane_ while lanes has it.
    EventKind run_kind = run_lane_ == kLaneFunction ? EventKind::FunctionEntry : EventKind::FuncGraphEntry;
    uint64_t exits = 0, skipped = 0;
    // Tally: what the walk tests each function record against, kept in
    // registers and read again from the tally after each call into the
    // sink (its watch may have moved); the records counted in the tally,
    // and those of them in interrupt context.
    uint32_t tally_fn = kNoType, tally_exit = kNoType;
    const int exit_need = tallied_.exit_need, fn_need = tallied_.fn_need;
    uint64_t exit_key = kNoKey, fn_key = kNoKey;
    uint32_t exit_bytes = 0, fn_bytes = 0;  // the keyed records' bytes, header included
    uint64_t watch_lo = UINT64_MAX, watch_span = 0;
    uint64_t watch_tid = FunctionTally::kNobody;
    uint64_t tallied = 0, interrupts = 0;
    [[maybe_unused]] FunctionTally* const first_tally = tally;
    auto load_watch = [&] {
        watch_lo = tally->watch_lo();
        watch_span = tally->watch_span();
        watch_tid = tally->watch_tid();
    };
    auto rewatch = [&] {
        if constexpr (Tally) {
            tally = sink.function_tally(cpu);
            if (!tally) {  // the sink stopped counting this way: its records go in runs again
                tally_fn = kNoType;
                fn_key = kNoKey;
                return;
            }
            load_watch();
        }
    };
    if constexpr (Tally) {
        tally_fn = tallied_.fn;
        fn_key = tallied_.fn_key;
        fn_bytes = key_bytes(fn_key);
        if (count_exits) {
            tally_exit = tallied_.exit;
            exit_key = tallied_.exit_key;
            exit_bytes = key_bytes(exit_key);
        }
        load_watch();
    }
    auto flush = [&] {
        if (!in_run) return;
        sink.on_function_run(run_kind, cpu, run, in_run);
        delivered += in_run;
        in_run = 0;
        rewatch();
    };
    // A function record of the tallied type: one hit, unless in interrupt
    // context or watched by the sink.
    auto tally_function = [&](const unsigned char* data, uint64_t ts) __attribute__((always_inline)) {
        const unsigned flags = data[2];
        if (flags & kInterruptContext) {
            ++interrupts;
            return;
        }
        int32_t pid;
        std::memcpy(&pid, data + 4, 4);
        uint64_t addr;
        std::memcpy(&addr, data + kTalliedAddr, 8);
        if (addr - watch_lo < watch_span || FunctionTally::tid_key(pid) == watch_tid) [[unlikely]] {
            if (tally->watched(pid, addr)) {  // the sink's own, in trace order
                flush();
                const FunctionRecord one{ts, addr, pid, flags};
                sink.on_function_run(tallied_.fn_kind, cpu, &one, 1);
                ++delivered;
                rewatch();
                return;
            }
        }
        tally->add(pid, addr);
        ++tallied;
    };
    // The shortcut of a tallied walk: the two records that make up a
    // function_graph trace, known by their first 8 bytes (type_len and
    // common_type) before any table lookup or length check. An exit is only
    // counted: its entry named the function. Unlike the lanes below it
    // branches on entry or exit: with a constant step per branch the CPU
    // walks on while it waits for a header, which cost less CPU on the
    // bench capture than the mispredictions it takes (issue 24).
    auto take = [&](uint64_t head8, const unsigned char* data, uint64_t ts) __attribute__((always_inline)) -> uint32_t {
        const uint64_t key = head8 & kKeyMask;
        if (key == exit_key) {
            ++exits;
            return exit_bytes;
        }
        if (key != fn_key) return 0;
        tally_function(data, ts);
        return fn_bytes;
    };
    const Hot* hot = hot_.data();
    const size_t types = hot_.size();
    // Records of these lanes take the branch-free path below: the exits and
    // the function records of the run being made. Entries and exits follow
    // the call graph, which no branch predictor learns: a branch on which
    // one a record is mispredicted on about every other record of a
    // function_graph trace (callgrind --branch-sim: 70% of replay's
    // mispredictions, issue 24).
    uint8_t lanes = kLaneExit | run_lane_;
    // Inlined into the page walk: called once per record, the call itself
    // (a closure of a dozen references reloaded each time) cost as much as the work.
    auto record = [&](const RingRecord& r) __attribute__((always_inline)) {
        const int rsize = static_cast<int>(r.size);
        size_t type;
        if constexpr (StdHeader) {
            if (rsize < 8) {  // shorter than the common fields every event has
                ++skipped;
                return;
            }
            uint16_t t;
            std::memcpy(&t, r.data, 2);
            type = t;
        } else {
            type = rsize >= type_.offset + type_.size ? static_cast<size_t>(load(type_, r.data)) : SIZE_MAX;
        }
        if constexpr (Tally) {
            // What the shortcut did not take: its keys are learnt here, from
            // the first record of each type the sizes of this capture.
            if (type == tally_exit && rsize >= exit_need) {
                if (rsize <= kMaxKeyed) {
                    exit_key = key_of(type, r.size);
                    exit_bytes = key_bytes(exit_key);
                }
                ++exits;
                return;
            }
            if (type == tally_fn && rsize >= fn_need) {
                if (rsize <= kMaxKeyed && tally) {
                    fn_key = key_of(type, r.size);
                    fn_bytes = key_bytes(fn_key);
                }
                tally_function(r.data, r.ts);
                return;
            }
        }
        if (type >= types || rsize < hot[type].need) {  // unknown, or too short for its fields
            ++skipped;
            return;
        }
        const Hot& h = hot[type];
        int pid;
        unsigned flags;
        if constexpr (StdHeader) {
            int32_t p;
            std::memcpy(&p, r.data + 4, 4);
            pid = p;
            flags = r.data[2];
        } else {
            pid = static_cast<int>(load(pid_, r.data));
            flags = static_cast<unsigned>(load(flags_, r.data));
        }
        if (h.lane & lanes) {
            // An exit or a function record of this run: the record is
            // written as the run's next one either way, and only a function
            // record moves the run on. funcgraph_exit is half of a
            // function_graph trace; its entry already named the function,
            // so an exit is only counted.
            uint64_t addr;
            std::memcpy(&addr, r.data + h.addr_offset, 8);
            run[in_run] = FunctionRecord{r.ts, addr, pid, flags};
            in_run += h.runs;
            exits += h.exits;
            if (in_run == kRun) flush();
            return;
        }
        if (h.lane) {  // a function record of the other lane: a run of its own begins
            flush();
            run_lane_ = h.lane;
            lanes = kLaneExit | h.lane;
            run_kind = h.kind;
            uint64_t addr;
            std::memcpy(&addr, r.data + h.addr_offset, 8);
            run[in_run++] = FunctionRecord{r.ts, addr, pid, flags};
            return;
        }
        // Below: what the lanes do not take (a function address that is not
        // a u64, sinks that want exits or no runs, every other event).
        if (h.route == Route::CountExit) {
            ++exits;
            return;
        }
        if (h.route == Route::FunctionRun) {
            if (in_run == kRun || (in_run && h.kind != run_kind)) flush();
            if (h.kind != run_kind) {  // the lane's run, if any, ended above
                run_lane_ = 0;
                lanes = kLaneExit;
            }
            run_kind = h.kind;
            run[in_run++] = FunctionRecord{r.ts, static_cast<uint64_t>(load(by_type_[type].a, r.data)), pid, flags};
            return;
        }
        flush();  // every record before this one reaches the sink first
        deliver(by_type_[type], r.data, r.size, r.ts, cpu, pid, flags, sink);
        ++delivered;
        rewatch();
    };
    bool whole;
    if constexpr (Tally)
        whole = ring.for_each_little_endian(take, record);
    else
        whole = ring.for_each_unswapped(record);
    flush();
    if constexpr (Tally) {
        first_tally->add_records(tallied + interrupts, interrupts);
        delivered += tallied + interrupts;
        tallied_.exit_key = exit_key != kNoKey ? exit_key : tallied_.exit_key;
        tallied_.fn_key = fn_key != kNoKey ? fn_key : tallied_.fn_key;
    }
    skipped_ += skipped;
    if (exits) {
        sink.on_counted(EventKind::FuncGraphExit, exits);
        delivered += exits;
    }
    return whole;
}

uint64_t EventDecoder::decode_page(const void* page, size_t size, int cpu, EventSink& sink) {
    RingPage ring;
    if (!ring.open(page, size, layout_)) {
        if (size > 0) ++skipped_;  // a header that points past the page: nothing in it is trusted
        return 0;
    }
    if (ring.missed_events()) sink.on_gap(cpu);

    uint64_t delivered = 0;
    bool whole;
    if (!layout_.swap && type_.present()) {
        FunctionTally* tally = std_header_ && !layout_.big_endian && sink.takes_function_runs() ? sink.function_tally(cpu) : nullptr;
        whole = tally         ? decode_native<true, true>(ring, cpu, sink, tally, delivered)
                : std_header_ ? decode_native<true, false>(ring, cpu, sink, nullptr, delivered)
                              : decode_native<false, false>(ring, cpu, sink, nullptr, delivered);
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
    if (!whole) ++skipped_;  // a record runs past the committed bytes: the rest is not trusted
    return delivered;
}

}  // namespace hap
