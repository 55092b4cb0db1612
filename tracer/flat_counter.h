// Counts per 128-bit key in one flat, linearly probed array: the hot path of
// aggregation runs once per trace record, and std::unordered_map's node per
// key and pointer chase cost a quarter of replay time (scripts/bench).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hap {

class FlatCounter {
public:
    struct Slot {
        uint64_t hi = kEmpty, lo = 0, count = 0;
    };

    FlatCounter() : slots_(kFirstSize), mask_(kFirstSize - 1), shift_(64 - kFirstBits) {}

    // Inlined: called once per counted record, its call and spills cost a
    // third of the work (callgrind, issue 14). No guess at the last key
    // first: in a function-level trace the next record is another
    // function's nearly always (1% repeats on the bench capture, issue 24).
    // A slot's address is compared first (the part that differs between
    // function keys), the empty mark only when it is not the key.
    __attribute__((always_inline)) void add(uint64_t hi, uint64_t lo, uint64_t n = 1) {
        Slot* const slots = slots_.data();
        for (size_t i = home(hi, lo, shift_);; i = (i + 1) & mask_) {
            Slot& s = slots[i];
            if (s.lo == lo && s.hi == hi) [[likely]] {
                s.count += n;
                return;
            }
            // Only a new key can fill the table: the load check is there,
            // not on every record.
            if (s.hi == kEmpty) [[unlikely]] {
                insert(hi, lo)->count += n;
                return;
            }
        }
    }
    // Folds another counter's counts into this one (readers' shards, at the end).
    void merge(const FlatCounter& other) {
        other.for_each([&](uint64_t hi, uint64_t lo, uint64_t n) { add(hi, lo, n); });
    }
    size_t size() const { return used_; }
    template <class F>
    void for_each(F&& f) const {
        for (const Slot& s : slots_)
            if (s.hi != kEmpty) f(s.hi, s.lo, s.count);
    }

private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};  // never a real `hi` (see RunAggregate)
    static constexpr unsigned kFirstBits = 8;
    static constexpr size_t kFirstSize = size_t{1} << kFirstBits;  // a power of two: probes mask

    // Where a key's probe starts: the top bits of a Fibonacci hash (one
    // multiply; the top bits of the product depend on every bit of hi ^ lo).
    static size_t home(uint64_t hi, uint64_t lo, unsigned shift) {
        return static_cast<size_t>(((hi ^ lo) * 0x9E3779B97F4A7C15ull) >> shift);
    }
    // The key's slot, or the empty slot where it belongs.
    static Slot* find(Slot* slots, size_t mask, unsigned shift, uint64_t hi, uint64_t lo) {
        for (size_t i = home(hi, lo, shift);; i = (i + 1) & mask) {
            Slot& s = slots[i];
            if (s.hi == kEmpty || (s.hi == hi && s.lo == lo)) return &s;
        }
    }
    // A key seen for the first time: out of line, as it happens once per key.
    __attribute__((noinline)) Slot* insert(uint64_t hi, uint64_t lo) {
        if ((used_ + 1) * 10 > slots_.size() * 7) grow();
        Slot* s = find(slots_.data(), mask_, shift_, hi, lo);
        s->hi = hi;
        s->lo = lo;
        ++used_;
        return s;
    }
    void grow() {
        std::vector<Slot> bigger(slots_.size() * 2);
        const size_t mask = bigger.size() - 1;
        const unsigned shift = shift_ - 1;
        for (const Slot& s : slots_)
            if (s.hi != kEmpty) *find(bigger.data(), mask, shift, s.hi, s.lo) = s;
        slots_.swap(bigger);
        mask_ = mask;
        shift_ = shift;
    }

    std::vector<Slot> slots_;
    size_t mask_;     // slots_.size() - 1, kept: a vector's size is a division by 24
    unsigned shift_;  // 64 - log2(slots_.size())
    size_t used_ = 0;
};

}  // namespace hap
