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

    FlatCounter() : slots_(kFirstSize) {}

    // Inlined: called once per counted record, its call and spills cost a
    // third of the work (callgrind, issue 14).
    __attribute__((always_inline)) void add(uint64_t hi, uint64_t lo) {
        // Records come in bursts of one thread and symbol: try the last slot.
        // It is always a valid index (slot 0 to begin with, whose empty
        // mark no key matches), so no bounds check.
        Slot& last = slots_[last_];
        if (last.hi == hi && last.lo == lo) {
            ++last.count;
            return;
        }
        Slot* s = &find(slots_, hi, lo);
        if (s->hi == kEmpty) {
            // Only a new key can fill the table: the load check is here,
            // not on every record.
            if ((used_ + 1) * 10 > slots_.size() * 7) {
                grow();
                s = &find(slots_, hi, lo);
            }
            s->hi = hi;
            s->lo = lo;
            ++used_;
        }
        ++s->count;
        last_ = static_cast<size_t>(s - slots_.data());
    }
    // Folds another counter's counts into this one (readers' shards, at the end).
    void merge(const FlatCounter& other) {
        other.for_each([&](uint64_t hi, uint64_t lo, uint64_t n) {
            add(hi, lo);  // leaves last_ at the key's slot
            slots_[last_].count += n - 1;
        });
    }
    size_t size() const { return used_; }
    template <class F>
    void for_each(F&& f) const {
        for (const Slot& s : slots_)
            if (s.hi != kEmpty) f(s.hi, s.lo, s.count);
    }

private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};  // never a real `hi` (see RunAggregate)
    static constexpr size_t kFirstSize = 256;  // a power of two: find() masks

    static Slot& find(std::vector<Slot>& slots, uint64_t hi, uint64_t lo) {
        const size_t mask = slots.size() - 1;
        uint64_t h = (hi ^ (lo * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
        for (size_t i = static_cast<size_t>(h >> 20) & mask;; i = (i + 1) & mask) {
            Slot& s = slots[i];
            if (s.hi == kEmpty || (s.hi == hi && s.lo == lo)) return s;
        }
    }
    void grow() {
        std::vector<Slot> bigger(slots_.size() * 2);
        for (const Slot& s : slots_)
            if (s.hi != kEmpty) find(bigger, s.hi, s.lo) = s;
        slots_.swap(bigger);
        last_ = 0;
    }

    std::vector<Slot> slots_;
    size_t used_ = 0;
    size_t last_ = 0;
};

}  // namespace hap
