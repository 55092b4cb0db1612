// Decodes ring-buffer sub-buffers (pages of trace_pipe_raw) into TraceEvents.
// Pages are walked by RingPage; event formats come from libtraceevent. Field
// offsets differ between kernels, so every field is looked up by name in the
// event's format, never hard-coded.
#pragma once

#include <climits>
#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

#include "ring_page.h"
#include "trace_event.h"

struct tep_handle;
struct tep_event;
struct tep_format_field;

namespace hap {

class EventDecoder {
public:
    // Does not take ownership of tep.
    explicit EventDecoder(tep_handle* tep);
    ~EventDecoder();
    EventDecoder(const EventDecoder&) = delete;
    EventDecoder& operator=(const EventDecoder&) = delete;

    // Decodes one sub-buffer of `size` bytes read from `cpu` in place (nothing
    // outside it is read); returns the number of events delivered. Records of
    // events hap does not know, and pages or records that are corrupt, count
    // as skipped.
    uint64_t decode_page(const void* page, size_t size, int cpu, EventSink& sink);
    uint64_t skipped() const { return skipped_; }
    // Whether pages are decoded without libtraceevent (this machine's byte
    // order, a common_type field): then decoders of one tep may run on
    // threads of their own (libtraceevent caches lookups inside the tep).
    bool native_path() const { return !layout_.swap && type_.present(); }

private:
    // Where a number lives in a record: read at a fixed offset, since the
    // format is fixed for the whole capture (tep_read_number_field costs a
    // library call per field per record).
    struct NumberAt {
        int offset = -1;
        int size = 0;
        bool is_signed = false;
        bool present() const { return offset >= 0; }
    };
    struct Spec {
        bool known = false;
        bool function = false;  // FunctionEntry or FuncGraphEntry: may go out in runs
        EventKind kind{};
        NumberAt a, b;
        tep_format_field* field_a = nullptr;  // for captures of the other byte order
        tep_format_field* field_b = nullptr;
        tep_format_field* comm = nullptr;  // fixed char array or __data_loc string
        // Record bytes needed by every number read; unknown ids need more
        // than any record has, so one compare rejects both.
        int need = INT_MAX;
    };
    // What the page walk does with a record of each event id, kept apart
    // from Spec and small so the per-record lookup stays in cache. It
    // depends on what the sink asked for (counts_only, takes_function_runs):
    // built for the first sink and rebuilt when another asks otherwise.
    enum class Route : uint8_t { Skip, CountExit, FunctionRun, Event };
    // Lanes: the two routes that make up a function-level trace, taken
    // without a branch on which one a record is (bits, see decode_native).
    static constexpr uint8_t kLaneExit = 1, kLaneFunction = 2, kLaneFuncGraph = 4;
    // 16 bytes, so the per-record lookup is a shift, not a multiply; the
    // slow path's field layout stays in Spec (by_type_).
    struct alignas(16) Hot {
        int need = INT_MAX;  // as Spec::need
        Route route = Route::Skip;
        EventKind kind{};
        // Nonzero for CountExit, and for FunctionRun whose address is a
        // u64 (every 64-bit kernel): then `runs`/`exits` (0 or 1) are what
        // the record adds to the run and to the exit count, and the
        // address is read at addr_offset (0 for exits: read, never used).
        uint8_t lane = 0;
        uint8_t runs = 0, exits = 0;
        int addr_offset = 0;
    };
    static_assert(sizeof(Hot) == 16);
    // The two record types a tallied page walk (function_tally.h) takes
    // before any table lookup: the function records with a u64 address
    // (funcgraph_entry preferred) and, when the sink only counts them,
    // funcgraph_exit. kNoType: none in this capture.
    static constexpr uint32_t kNoType = 0x10000;  // above every u16 common_type
    // Where the tallied records hold their address: the first field after
    // the 8 bytes of common fields, in `function` (ip) and
    // `funcgraph_entry` (func) alike (kernel/trace/trace_entries.h).
    static constexpr int kTalliedAddr = 8;
    // The shortcut (RingPage::for_each_little_endian) knows a record by
    // the bits of its first 8 bytes under kKeyMask: type_len (bits 0-4 of
    // the ring header) and common_type (bits 32-47). A key is learnt from
    // the first record of its type, of a size that has a type_len (up to
    // 112 bytes) and holds the fields read: the same type at that size
    // needs no further check. kNoKey matches nothing.
    static constexpr uint64_t kKeyMask = 0x0000ffff0000001full;
    static constexpr uint64_t kNoKey = ~uint64_t{0};
    static constexpr int kMaxKeyed = 28 * 4;
    static uint64_t key_of(uint32_t type, uint32_t size) { return uint64_t{size / 4} | uint64_t{type} << 32; }
    // The bytes of a record of that key, its 4-byte header included.
    static uint32_t key_bytes(uint64_t key) { return 4 + uint32_t(key & 0x1f) * 4; }
    struct Tallied {
        uint32_t fn = kNoType, exit = kNoType;
        int fn_need = INT_MAX, exit_need = INT_MAX;  // as Spec::need
        EventKind fn_kind{};
        uint64_t fn_key = kNoKey, exit_key = kNoKey;  // learnt
    };
    void build_hot(bool count_exits, bool runs);
    void deliver(const Spec& s, const unsigned char* data, uint32_t size, uint64_t ts, int cpu, int pid,
                 unsigned flags, EventSink& sink);
    void add(const char* system, const char* name, EventKind kind, const char* a, const char* b,
             const char* comm);
    static NumberAt number_at(tep_format_field* f);
    // Reads a number the caller has checked lies inside the record (Spec::need).
    static inline int64_t load(const NumberAt& n, const void* data) __attribute__((always_inline));
    // The walk of a page in this machine's byte order. StdHeader: the common
    // fields sit where every kernel since 4.x puts them (type u16 at 0, flags
    // u8 at 2, pid s32 at 4), read without looking at their sizes.
    // Tally: count the function records of tallied_ into the sink's
    // FunctionTally inside the walk (needs StdHeader).
    template <bool StdHeader, bool Tally>
    bool decode_native(const RingPage& ring, int cpu, EventSink& sink, FunctionTally* tally, uint64_t& delivered);

    tep_handle* tep_;
    RingLayout layout_;
    NumberAt type_, pid_, flags_;   // common_type, common_pid, common_flags
    bool std_header_ = false;
    std::vector<Spec> by_type_;     // indexed by event id
    std::vector<Hot> hot_;          // indexed by event id
    Tallied tallied_;               // built with hot_
    int hot_for_ = -1;              // the sink choices hot_ is built for (bit 0 exits, bit 1 runs)
    uint8_t run_lane_ = 0;          // the function lane runs were last made of (one per capture, in practice)
    uint64_t skipped_ = 0;
};

}  // namespace hap
