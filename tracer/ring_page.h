// One sub-buffer ("page") of the kernel's ftrace ring buffer, as trace_pipe_raw
// hands it out, walked record by record without libtraceevent's kbuffer.
//
// Why not kbuffer: it costs two library calls per record and trusts the page
// header (a corrupt commit or length made it read past the page or loop
// forever, found by tests/fuzz), so every page had to be checked and often
// copied first. This walker reads only inside the committed bytes and always
// moves forward, so a page is decoded in place whatever it holds.
//
// Layout (kernel/trace/ring_buffer.c, the same since 2.6.x; also described by
// events/header_page and events/header_event):
//   u64  time stamp of the page
//   long commit: bytes of records, flags in the top bits (missed events)
//   records, each a 32-bit header {type_len:5, time_delta:27} (bit order by
//   the file's endianness) and then:
//     type_len 1..28  data of type_len*4 bytes
//     type_len 0      u32 length (of array[0] and data), then data
//     29 padding      u32 length of the rest (a discarded record or page end)
//     30 time extend  u32 upper bits of a delta too big for 27 bits
//     31 time stamp   u32 upper bits of an absolute time stamp
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace hap {

struct RingLayout {
    size_t long_size = 8;  // of the commit field: 4 on 32-bit kernels
    bool swap = false;     // the capture's byte order is not this machine's
    bool big_endian = false;
    size_t data_start() const { return 8 + long_size; }
};

struct RingRecord {
    const unsigned char* data;
    uint32_t size;
    uint64_t ts;
};

class RingPage {
public:
    static constexpr uint64_t kCommitMask = (1u << 27) - 1;
    static constexpr uint64_t kMissedEvents = 1ull << 31;

    // False when the header is impossible (commit past the page): nothing in
    // such a page is read.
    bool open(const void* page, size_t size, const RingLayout& layout) {
        layout_ = layout;
        if (size < layout.data_start()) return false;
        base_ = static_cast<const unsigned char*>(page);
        ts_ = read8(0);
        const uint64_t commit = layout.long_size == 4 ? read4(8) : read8(8);
        missed_ = commit & kMissedEvents;
        used_ = static_cast<uint32_t>(commit & kCommitMask);
        if (layout.data_start() + used_ > size) return false;
        data_ = base_ + layout.data_start();
        return true;
    }

    bool missed_events() const { return missed_; }

    // Calls f(const RingRecord&) for each data record, in order. Returns false
    // when the walk stopped at a record that does not fit in the committed
    // bytes (the records before it were delivered).
    // Inlined with the walk into the caller, so f's state stays in registers
    // instead of being reloaded through its closure for each record.
    template <class F>
    __attribute__((always_inline)) bool for_each(F&& f) const {
        // Byte order is fixed per capture: decided once per page, not per
        // record (the walk runs once for every record of a trace).
        NoShortcut none;
        if (layout_.swap) return layout_.big_endian ? walk<true, true>(none, f) : walk<true, false>(none, f);
        return layout_.big_endian ? walk<false, true>(none, f) : walk<false, false>(none, f);
    }

    // for_each for a page in this machine's byte order (layout.swap false):
    // half the code inlined into the caller.
    template <class F>
    __attribute__((always_inline)) bool for_each_unswapped(F&& f) const {
        NoShortcut none;
        return layout_.big_endian ? walk<false, true>(none, f) : walk<false, false>(none, f);
    }

    // for_each for a little-endian page on a little-endian machine, with a
    // shortcut for the records a caller knows by their first 8 bytes: each
    // record well inside the committed bytes is first offered to
    // take(uint64_t head8, const unsigned char* data, uint64_t ts), head8
    // being the record's 32-bit header and the first 4 bytes of its data
    // as one little-endian word. When take dealt with the record, which it
    // may do only for a data record with a type_len of 1..28 (bits 0-4 of
    // head8: one compare of type_len and the event type at bits 32-47 tells
    // both), it returns the record's bytes, header included (4 + type_len
    // * 4); 0 sends the record the usual way, to f. Returned rather than
    // taken from head8: a constant per kind of record lets the CPU move on
    // to the next record before this one's header is loaded (the walk's
    // next address no longer waits on a load, issue 24).
    template <class Take, class F>
    __attribute__((always_inline)) bool for_each_little_endian(Take&& take, F&& f) const {
        return walk<false, false>(take, f);
    }

private:
    struct NoShortcut {
        uint32_t operator()(uint64_t, const unsigned char*, uint64_t) const { return 0; }
    };

    template <bool Swap, bool Big, class Take, class F>
    __attribute__((always_inline)) bool walk(Take& take, F& f) const {
        constexpr bool kShortcut = !std::is_same_v<Take, NoShortcut>;
        static_assert(!kShortcut || (!Swap && !Big), "head8's layout is that of a little-endian page");
        // Locals, not members: f writes memory, and the compiler would
        // otherwise reload used_ and data_ after every record.
        const unsigned char* const data = data_;
        const uint32_t used = used_;
        uint64_t ts = ts_;
        uint32_t at = 0;
        // A data record with a type_len of 1..28 (nearly every record) is at
        // most 4 + 112 bytes: one that starts at or before `safe` lies inside
        // the committed bytes without a check of its length.
        const int64_t safe = int64_t{used} - 116;
        while (at + 4 <= used) {
            while (int64_t{at} <= safe) {
                if constexpr (kShortcut) {
                    uint64_t head8;
                    std::memcpy(&head8, data + at, 8);
                    const uint64_t next_ts = ts + (uint32_t(head8) >> 5);
                    if (const uint32_t bytes = take(head8, data + at + 4, next_ts)) {
                        ts = next_ts;
                        at += bytes;
                        continue;
                    }
                }
                const uint32_t head = word<Swap>(data + at);
                const unsigned type_len = Big ? head >> 27 : head & 0x1f;
                if (type_len - 1 >= 28) break;
                ts += Big ? head & 0x7ffffff : head >> 5;
                f(RingRecord{data + at + 4, type_len * 4, ts});
                at += 4 + type_len * 4;
            }
            if (at + 4 > used) break;
            const uint32_t head = word<Swap>(data + at);
            const unsigned type_len = Big ? head >> 27 : head & 0x1f;
            const uint32_t delta = Big ? head & 0x7ffffff : head >> 5;
            uint32_t body = at + 4;  // first byte after the header
            if (type_len - 1 < 28) {  // near the end of the committed bytes: checked
                const uint32_t length = type_len * 4;
                if (length > used - body) return false;
                ts += delta;
                f(RingRecord{data + body, length, ts});
                at = body + length;
                continue;
            }
            uint32_t length;  // bytes of data after `body`
            switch (type_len) {
                case 29:  // padding
                    // time_delta 0 is the kernel's "null event": no records follow.
                    if (delta == 0 || body + 4 > used) return true;
                    length = word<Swap>(data + body);  // a discarded record's bytes
                    if (length > used - body) return false;
                    at = body + length;  // the kernel's reader takes no time from padding
                    continue;
                case 30:  // time extend
                case 31: {  // absolute time stamp
                    if (body + 4 > used) return false;
                    const uint64_t upper = word<Swap>(data + body);
                    if (type_len == 30)
                        ts += (upper << 27) + delta;
                    else  // 59 bits are stored; the top bits stay those of the page.
                        ts = (ts & ~((1ull << 59) - 1)) | (upper << 27) | delta;
                    at = body + 4;
                    continue;
                }
                case 0: {
                    if (body + 4 > used) return false;
                    const uint32_t bytes = word<Swap>(data + body);
                    if (bytes < 4) return false;
                    body += 4;
                    length = (bytes - 4 + 3) & ~3u;
                    break;
                }
                default:
                    length = type_len * 4;
                    break;
            }
            if (length > used - body) return false;
            ts += delta;
            f(RingRecord{data + body, length, ts});
            at = body + length;
        }
        return true;
    }

    template <bool Swap>
    static uint32_t word(const unsigned char* p) {
        uint32_t v;
        std::memcpy(&v, p, 4);
        return Swap ? __builtin_bswap32(v) : v;
    }
    uint32_t read4(size_t at) const {
        uint32_t v;
        std::memcpy(&v, base_ + at, 4);
        return layout_.swap ? __builtin_bswap32(v) : v;
    }
    uint64_t read8(size_t at) const {
        uint64_t v;
        std::memcpy(&v, base_ + at, 8);
        return layout_.swap ? __builtin_bswap64(v) : v;
    }

    RingLayout layout_;
    const unsigned char* base_ = nullptr;
    const unsigned char* data_ = nullptr;
    uint64_t ts_ = 0;
    uint32_t used_ = 0;
    bool missed_ = false;
};

}  // namespace hap
