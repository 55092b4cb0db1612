#include <catch2/catch.hpp>

#include "files.h"
#include "redis_load.h"

using namespace hap;

TEST_CASE("redis-benchmark --csv output of redis 7 is parsed per test", "[redis]") {
    auto out = read_file(std::string(HAP_FIXTURES) + "/redis-benchmark-7.0.csv");
    REQUIRE(out.ok());
    auto rows = parse_redis_benchmark_csv(*out);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].first == "SET");
    CHECK(rows[0].second == Approx(62500.0));
    CHECK(rows[1].first == "GET");
    CHECK(rows[1].second == Approx(64516.13));
    CHECK(parse_redis_benchmark_csv("Could not connect to Redis at 10.0.0.2:6379: Connection refused\n").empty());
}
