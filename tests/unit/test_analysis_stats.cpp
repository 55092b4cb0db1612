#include <catch2/catch.hpp>

#include "stats.h"

using namespace hap;

TEST_CASE("t quantiles match the table and approach 1.96", "[analysis][stats]") {
    CHECK(t_quantile_975(1) == Approx(12.706).epsilon(1e-4));
    CHECK(t_quantile_975(2) == Approx(4.303).epsilon(1e-4));
    CHECK(t_quantile_975(9) == Approx(2.262).epsilon(1e-4));
    CHECK(t_quantile_975(40) == Approx(2.021).epsilon(1e-3));
    CHECK(t_quantile_975(120) == Approx(1.980).epsilon(1e-3));
    CHECK(t_quantile_975(100000) == Approx(1.960).epsilon(1e-3));
}

TEST_CASE("describe gives n, mean, sample sd, min, max and a t interval", "[analysis][stats]") {
    auto s = describe({10, 12, 14});
    CHECK(s.n == 3);
    CHECK(s.mean == Approx(12));
    REQUIRE(s.sd);
    CHECK(*s.sd == Approx(2));  // sample sd (n - 1), not population
    CHECK(s.min == 10);
    CHECK(s.max == 14);
    // 12 +- 4.303 * 2 / sqrt(3)
    CHECK(*s.ci_low == Approx(12 - 4.9686).epsilon(1e-3));
    CHECK(*s.ci_high == Approx(12 + 4.9686).epsilon(1e-3));
}

TEST_CASE("one value has no spread and no interval, none has nothing", "[analysis][stats]") {
    auto one = describe({7});
    CHECK(one.n == 1);
    CHECK(one.mean == 7);
    CHECK_FALSE(one.sd);
    CHECK_FALSE(one.ci_low);
    CHECK(describe({}).n == 0);
}
