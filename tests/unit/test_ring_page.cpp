// RingPage on sub-buffers laid out as kernel/trace/ring_buffer.c writes them.
// Real pages (recorded captures) are walked by the replay tests; these pages
// are built by hand to reach every record type and every corrupt shape.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include "ring_page.h"

using hap::RingLayout;
using hap::RingPage;
using hap::RingRecord;

namespace {

// Builds one 64-bit little-endian page: records are appended, commit is set
// from what was appended.
class PageBuilder {
public:
    PageBuilder(uint64_t ts, size_t page_size = 4096) : page_(page_size, 0) { put64(0, ts); }
    PageBuilder& small(uint32_t delta, std::vector<uint32_t> words) {  // type_len = words
        put32(at_, static_cast<uint32_t>(words.size()) | delta << 5);
        at_ += 4;
        for (uint32_t w : words) put32(at_, w), at_ += 4;
        return *this;
    }
    PageBuilder& large(uint32_t delta, size_t bytes, unsigned char fill) {  // type_len 0
        put32(at_, 0 | delta << 5);
        put32(at_ + 4, static_cast<uint32_t>(bytes + 4));
        std::memset(page_.data() + at_ + 8, fill, bytes);
        at_ += 8 + bytes;
        return *this;
    }
    PageBuilder& extend(uint32_t delta, uint32_t upper) { return word_record(30, delta, upper); }
    PageBuilder& stamp(uint32_t low, uint32_t upper) { return word_record(31, low, upper); }
    PageBuilder& discarded(uint32_t bytes) {  // padding left where a record was discarded
        put32(at_, 29 | 1u << 5);
        put32(at_ + 4, bytes);
        at_ += 4 + bytes;
        return *this;
    }
    PageBuilder& null_event() {  // padding with delta 0: the end of the data
        put32(at_, 29);
        at_ += 4;
        return *this;
    }
    PageBuilder& raw32(uint32_t v) {
        put32(at_, v);
        at_ += 4;
        return *this;
    }
    std::vector<unsigned char> done(uint64_t commit_flags = 0) {
        put64(8, (at_ - 16) | commit_flags);
        return page_;
    }

private:
    PageBuilder& word_record(unsigned type, uint32_t delta, uint32_t word) {
        put32(at_, type | delta << 5);
        put32(at_ + 4, word);
        at_ += 8;
        return *this;
    }
    void put32(size_t at, uint32_t v) { std::memcpy(page_.data() + at, &v, 4); }
    void put64(size_t at, uint64_t v) { std::memcpy(page_.data() + at, &v, 8); }
    std::vector<unsigned char> page_;
    size_t at_ = 16;
};

struct Walk {
    bool opened = false;
    bool whole = false;
    bool missed = false;
    std::vector<RingRecord> records;
};

Walk walk(const std::vector<unsigned char>& page, size_t size = 0, RingLayout layout = {}) {
    Walk w;
    RingPage ring;
    w.opened = ring.open(page.data(), size ? size : page.size(), layout);
    if (!w.opened) return w;
    w.missed = ring.missed_events();
    w.whole = ring.for_each([&](const RingRecord& r) { w.records.push_back(r); });
    return w;
}

uint32_t first_word(const RingRecord& r) {
    uint32_t v;
    std::memcpy(&v, r.data, 4);
    return v;
}

}  // namespace

TEST_CASE("records of every kind are delivered in order with their time stamps", "[ring_page]") {
    auto page = PageBuilder(1000)
                    .small(5, {0xaaaa, 2})               // 8 data bytes at ts 1005
                    .large(7, 200, 0x5a)                 // type_len 0, 200 bytes at 1012
                    .extend(3, 1)                        // +(1 << 27) + 3
                    .small(0, {0xbbbb})                  // at 1012 + 2^27 + 3
                    .discarded(12)                       // skipped, time unchanged
                    .stamp(9, 2)                         // absolute: (2 << 27) | 9
                    .small(1, {0xcccc})
                    .done();
    Walk w = walk(page);
    REQUIRE(w.opened);
    CHECK(w.whole);
    CHECK_FALSE(w.missed);
    REQUIRE(w.records.size() == 4);
    CHECK(first_word(w.records[0]) == 0xaaaa);
    CHECK(w.records[0].size == 8);
    CHECK(w.records[0].ts == 1005);
    CHECK(w.records[1].size == 200);
    CHECK(w.records[1].data[199] == 0x5a);
    CHECK(w.records[1].ts == 1012);
    CHECK(first_word(w.records[2]) == 0xbbbb);
    CHECK(w.records[2].ts == 1012 + (1ull << 27) + 3);
    CHECK(first_word(w.records[3]) == 0xcccc);
    CHECK(w.records[3].ts == ((2ull << 27) | 9) + 1);
}

TEST_CASE("a null event ends the page and the missed-events flag is reported", "[ring_page]") {
    auto page = PageBuilder(0).small(1, {1}).null_event().small(1, {2}).done(RingPage::kMissedEvents);
    Walk w = walk(page);
    REQUIRE(w.opened);
    CHECK(w.whole);
    CHECK(w.missed);
    REQUIRE(w.records.size() == 1);
    CHECK(first_word(w.records[0]) == 1);
}

TEST_CASE("corrupt pages are refused without reading outside the committed bytes", "[ring_page]") {
    SECTION("commit past the page") {
        auto page = PageBuilder(0).small(1, {1}).done();
        CHECK_FALSE(walk(page, 20).opened);  // commit says 8 bytes of records, the page is cut at 4
        std::vector<unsigned char> header_only(16, 0);
        uint64_t commit = 4096;
        std::memcpy(header_only.data() + 8, &commit, 8);
        CHECK_FALSE(walk(header_only).opened);
        CHECK_FALSE(walk(header_only, 10).opened);  // not even a header
    }
    SECTION("a record longer than the page") {
        auto page = PageBuilder(0).small(1, {7}).raw32(0).raw32(4000).done();  // type 0 claiming 3996 bytes
        Walk w = walk(page);
        REQUIRE(w.opened);
        CHECK_FALSE(w.whole);
        REQUIRE(w.records.size() == 1);  // what came before is kept
    }
    SECTION("a type-0 length below its own size") {
        auto page = PageBuilder(0).raw32(0).raw32(2).done();
        Walk w = walk(page);
        CHECK_FALSE(w.whole);
        CHECK(w.records.empty());
    }
    SECTION("a discarded record whose length runs past the data") {
        auto page = PageBuilder(0).raw32(29 | 1u << 5).raw32(0xfffffff0u).done();
        Walk w = walk(page);
        CHECK_FALSE(w.whole);
    }
    SECTION("a zero-length discard overlaps what follows and the walk still ends") {
        // The kernel never writes one (a discard covers a whole record): the
        // length word is read again as a header, and the walk must not stall.
        auto page = PageBuilder(0).raw32(29 | 1u << 5).raw32(0).raw32(29 | 1u << 5).raw32(0).done();
        Walk w = walk(page);
        CHECK_FALSE(w.whole);
        CHECK(w.records.empty());
    }
}

TEST_CASE("a big-endian capture is walked with swapped headers", "[ring_page]") {
    // One small record, type_len 1 and delta 4, as a big-endian kernel writes it:
    // header {type_len:5 in the top bits, delta:27 below}, all words big-endian.
    std::vector<unsigned char> page(64, 0);
    auto be32 = [&](size_t at, uint32_t v) { v = __builtin_bswap32(v); std::memcpy(page.data() + at, &v, 4); };
    auto be64 = [&](size_t at, uint64_t v) { v = __builtin_bswap64(v); std::memcpy(page.data() + at, &v, 8); };
    be64(0, 50);
    be64(8, 8);
    be32(16, 1u << 27 | 4);
    be32(20, 0x11223344);
    RingLayout layout;
    layout.swap = true;
    layout.big_endian = true;
    Walk w = walk(page, 0, layout);
    REQUIRE(w.opened);
    CHECK(w.whole);
    REQUIRE(w.records.size() == 1);
    CHECK(w.records[0].ts == 54);
    CHECK(w.records[0].size == 4);
    CHECK(__builtin_bswap32(first_word(w.records[0])) == 0x11223344);
}

TEST_CASE("a 32-bit kernel's page has a 4-byte commit", "[ring_page]") {
    std::vector<unsigned char> page(64, 0);
    uint32_t commit = 8, head = 1 | 2u << 5, word = 77;
    std::memcpy(page.data() + 8, &commit, 4);
    std::memcpy(page.data() + 12, &head, 4);
    std::memcpy(page.data() + 16, &word, 4);
    RingLayout layout;
    layout.long_size = 4;
    Walk w = walk(page, 0, layout);
    REQUIRE(w.opened);
    REQUIRE(w.records.size() == 1);
    CHECK(first_word(w.records[0]) == 77);
    CHECK(w.records[0].ts == 2);
}
