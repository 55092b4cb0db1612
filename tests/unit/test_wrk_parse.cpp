#include <catch2/catch.hpp>

#include "files.h"
#include "http_probe.h"
#include "native_runner.h"
#include "process.h"
#include "wrk_load.h"

using namespace hap;

namespace {
WrkSummary fixture(const std::string& name) {
    auto out = read_file(std::string(HAP_FIXTURES) + "/" + name);
    REQUIRE(out.ok());
    return parse_wrk_output(*out);
}
}  // namespace

TEST_CASE("wrk's summary of a normal run is parsed", "[wrk]") {
    auto s = fixture("wrk-4.1.0-tornado.txt");
    CHECK(s.has_rate);
    CHECK(s.requests_per_sec == Approx(4628.16));
    CHECK(s.requests == 14038);
    CHECK(s.seconds == Approx(3.03));
    CHECK(s.socket_errors() == 0);
    CHECK(s.non_2xx_3xx == 0);
    CHECK(s.good_requests() == 14038);
    CHECK(s.failure.empty());
    CHECK(wrk_failure(s).empty());
}

TEST_CASE("wrk runs whose responses are all errors are failures", "[wrk]") {
    auto s = fixture("wrk-4.1.0-404.txt");
    CHECK(s.has_rate);
    CHECK(s.requests == 4903);
    CHECK(s.non_2xx_3xx == 4903);
    CHECK(s.good_requests() == 0);
    CHECK_THAT(wrk_failure(s), Catch::Contains("no request succeeded"));
}

TEST_CASE("wrk that cannot connect says why, and that is the failure", "[wrk]") {
    auto s = fixture("wrk-4.1.0-refused.txt");
    CHECK_FALSE(s.has_rate);
    CHECK(s.requests == 0);
    CHECK(s.failure == "unable to connect to 127.0.0.1:8000 Connection refused");
    CHECK(wrk_failure(s) == s.failure);
    CHECK_THAT(wrk_failure(parse_wrk_output("")), Catch::Contains("Requests/sec"));
}

TEST_CASE("a workload that dies under wrk fails the run by its socket errors", "[wrk]") {
    auto s = fixture("wrk-4.1.0-server-died.txt");
    CHECK(s.has_rate);
    CHECK(s.requests == 7572);
    CHECK(s.connect_errors == 0);
    CHECK(s.read_errors == 100);
    CHECK(s.write_errors == 30428);
    CHECK(s.timeouts == 0);
    CHECK_THAT(wrk_failure(s), Catch::Contains("socket errors"));
}

TEST_CASE("wrk runs in the client namespace with the published load", "[wrk]") {
    Endpoint ep{"hap1c0", "10.213.0.2", 8000};
    CHECK(wrk_argv(ep, "/", std::chrono::seconds(5)) ==
          Argv{"ip", "netns", "exec", "hap1c0", "wrk", "-t2", "-c50", "-d5s", "--timeout", "10s",
               "http://10.213.0.2:8000/"});
}

TEST_CASE("HTTP status lines are read for the readiness probe", "[wrk][http]") {
    CHECK(parse_http_status_line("HTTP/1.1 200 OK\r\nServer: x\r\n") == 200);
    CHECK(parse_http_status_line("HTTP/1.0 404 Not Found\r\n") == 404);
    CHECK(parse_http_status_line("HTTP/1.1 200\r\n") == 200);
    CHECK(parse_http_status_line("HTTP/1.1 200") == 200);
    CHECK_FALSE(parse_http_status_line("").has_value());
    CHECK_FALSE(parse_http_status_line("SSH-2.0-OpenSSH\r\n").has_value());
    CHECK_FALSE(parse_http_status_line("HTTP/1.1 20").has_value());
    CHECK_FALSE(parse_http_status_line("HTTP/1.1 2000 OK").has_value());
    CHECK_FALSE(parse_http_status_line("+PONG\r\n").has_value());
}

TEST_CASE("every workload is known, with its port and packages", "[workload]") {
    for (const auto& name : known_workloads()) {
        auto w = make_workload(name);
        CHECK(w->name() == name);
        CHECK(w->port() > 0);
        CHECK_FALSE(w->debian_packages().empty());
        REQUIRE_FALSE(w->command().empty());
        CHECK(w->command()[0].front() == '/');  // absolute: the native runner execs it as is
        CHECK_FALSE(w->host_tools().empty());
    }
    CHECK(make_workload("python")->port() == 8000);
    CHECK(make_workload("node")->port() == 3000);
    CHECK(make_workload("nginx")->port() == 80);
    CHECK(make_workload("nginx")->host_tools() == std::vector<std::string>{"wrk"});
}

TEST_CASE("the native runner names the host packages a workload lacks", "[workload][native]") {
    if (!find_program("dpkg-query")) return;  // not a Debian host: nothing to ask
    CHECK(missing_host_packages({"hap-no-such-package-x"}) == std::vector<std::string>{"hap-no-such-package-x"});
    CHECK(missing_host_packages({"dpkg"}).empty());
}
