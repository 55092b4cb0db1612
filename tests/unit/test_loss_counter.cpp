// Stats files recorded on this host with a 16 KiB buffer flooded by ls.
#include <catch2/catch.hpp>

#include "files.h"
#include "loss_counter.h"

using namespace hap;

TEST_CASE("per-CPU stats are parsed into overrun and dropped counts", "[loss]") {
    auto over = read_file(std::string(HAP_FIXTURES) + "/cpu-stats-overrun.txt");
    REQUIRE(over.ok());
    LossCounts a = parse_cpu_stats(*over);
    CHECK(a.overrun == 22500);
    CHECK(a.dropped == 0);
    auto drop = read_file(std::string(HAP_FIXTURES) + "/cpu-stats-dropped.txt");
    REQUIRE(drop.ok());
    LossCounts b = parse_cpu_stats(*drop);
    CHECK(b.overrun == 11820);
    CHECK(b.dropped == 18156);
    CHECK(b.total() == 11820 + 18156);
}

TEST_CASE("the loss of a run is the delta of the counters, never negative", "[loss]") {
    LossCounts before{100, 5, 0}, after{130, 5, 2};
    LossCounts d = after - before;
    CHECK(d.overrun == 30);
    CHECK(d.dropped == 0);
    CHECK(d.commit_overrun == 2);
    CHECK((before - after).total() == 0);
}
