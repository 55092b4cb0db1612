// Workload files (runners/workload_spec.h): the built-ins parse, each kind
// of bad file is one error naming the file, line and field (exit 2), secrets
// are redacted, placeholders expand, and a throughput is read from a real
// load generator's output.
#include <catch2/catch.hpp>

#include "files.h"
#include "load_command.h"
#include "workload.h"
#include "workload_spec.h"

using namespace hap;

namespace {

const std::string kGood = R"(# a comment
name = "kv"
description = "redis with a load command"

[root]
debian-packages = ["redis-server", "apt:redis-tools"]

[service]
command = ["/usr/bin/redis-server", "--port", "7000"]
port = 7000
scratch = ["/var/lib/redis"]
env = { MODE = "test", TOKEN = "s3cret" }
secret-env = ["TOKEN"]
user = "999:998"
workdir = "/var/lib/redis"

[ready]
probe = "tcp"

[[setup]]
command = ["redis-cli", "-h", "{address}", "-p", "{port}", "SET", "k", "v"]

[[setup]]
command = ["true"]
timeout = 5

[load]
command = ["redis-benchmark", "-h", "{address}", "-p", "{port}", "-c", "{concurrency}", "-q"]
concurrency = 4
throughput = 'GET: ([0-9.]+) requests per second'
unit = "requests/s"

[refuse]
nabla = "no unikernel image of it"
)";

// The one error parse_workload_spec throws for `text`, as "MESSAGE" and exit code.
std::pair<std::string, int> error_of(const std::string& text) {
    try {
        (void)parse_workload_spec(text, "w.toml");
    } catch (const UserError& e) {
        return {e.what(), e.exit_code()};
    }
    return {"(no error)", 0};
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("a workload file with every field parses to what it says", "[workload]") {
    const WorkloadSpec w = parse_workload_spec(kGood, "kv.toml");
    CHECK(w.name == "kv");
    CHECK(w.root.debian_packages == std::vector<std::string>{"redis-server", "apt:redis-tools"});
    CHECK(w.command == Argv{"/usr/bin/redis-server", "--port", "7000"});
    CHECK(w.port == 7000);
    REQUIRE(w.env.size() == 2);
    CHECK(w.env[1] == std::make_pair(std::string("TOKEN"), std::string("s3cret")));
    CHECK(w.user == "999:998");
    CHECK(resolve_user(w.user, "/nonexistent") == std::make_pair(999u, 998u));  // numbers need no passwd
    CHECK(w.workdir == "/var/lib/redis");
    CHECK(w.ready.kind == ReadyProbe::Kind::kTcp);
    REQUIRE(w.setup.size() == 2);
    CHECK(w.setup[0].timeout_s == 300);
    CHECK(w.setup[1].timeout_s == 5);
    CHECK(w.load.kind == LoadSpec::Kind::kCommand);
    CHECK(w.load.concurrency == 4);
    CHECK(w.refuse.at("nabla") == "no unikernel image of it");
    CHECK(w.host_tools() == std::vector<std::string>{"redis-cli", "true", "redis-benchmark"});
    CHECK(w.driver_tools().empty());  // the file's own commands fail their run when missing

    Workload wl(w);
    CHECK(wl.debian_packages() == std::vector<std::string>{"redis-server", "redis-tools"});
    CHECK(wl.environment() == std::vector<std::string>{"MODE=test", "TOKEN=s3cret"});
    CHECK(wl.sets_process_context());
    CHECK(wl.refusal("nabla") == "no unikernel image of it");
    CHECK(wl.refusal("runc").empty());
}

TEST_CASE("the store keeps a workload file with its secret values redacted", "[workload]") {
    const WorkloadSpec w = parse_workload_spec(kGood, "kv.toml");
    const std::string kept = w.redacted_text();
    CHECK(kept.find("s3cret") == std::string::npos);
    CHECK(kept.find(R"(TOKEN = "<redacted>")") != std::string::npos);
    CHECK(kept.find(R"(MODE = "test")") != std::string::npos);  // not secret: kept
    CHECK(kept.find("# a comment") != std::string::npos);        // the rest as written
}

TEST_CASE("placeholders expand in every argument, unknown text stays", "[workload]") {
    const Argv a = expand_placeholders({"pgbench", "-h", "{address}", "-p", "{port}", "-T{duration}", "-c", "{concurrency}", "{x"},
                                       "10.1.0.2", 5432, 30, 8);
    CHECK(a == Argv{"pgbench", "-h", "10.1.0.2", "-p", "5432", "-T30", "-c", "8", "{x"});
}

TEST_CASE("the built-in workloads are files that parse, with the figures the runners used", "[workload]") {
    REQUIRE(known_workloads() == std::vector<std::string>{"redis", "python", "node", "nginx"});
    auto redis = make_workload("redis");
    CHECK(redis->spec().origin == "builtin:redis.toml");
    CHECK(redis->port() == 6379);
    CHECK(redis->spec().ready.kind == ReadyProbe::Kind::kRedisPing);
    CHECK(redis->spec().load.kind == LoadSpec::Kind::kRedisBenchmark);
    CHECK(redis->command() == Argv{"/usr/bin/redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "",
                                   "--appendonly", "no", "--port", "6379"});
    CHECK(redis->host_tools() == std::vector<std::string>{"redis-cli", "redis-benchmark"});
    CHECK(redis->spec().driver_tools() == std::vector<std::string>{"redis-cli", "redis-benchmark"});
    CHECK_FALSE(redis->sets_process_context());
    auto node = make_workload("node");
    CHECK(node->root_packages() == std::vector<std::string>{"nodejs", "apt:node-express"});
    CHECK(node->debian_packages() == std::vector<std::string>{"nodejs", "node-express"});
    // The application's source is the argument after -e, first line first.
    REQUIRE(node->command().size() == 5);
    CHECK(node->command()[4].rfind("const express = require('express');\n", 0) == 0);
    auto python = make_workload("python");
    CHECK(python->command()[3].rfind("import tornado.ioloop\n", 0) == 0);
    CHECK(make_workload("nginx")->spec().load.http_path == "/");
}

TEST_CASE("a bad workload file is one error naming file, line and field, exit 2", "[workload]") {
    SECTION("an unknown key is an error, never ignored") {
        auto [msg, code] = error_of(replaced(kGood, "port = 7000", "port = 7000\nprot = 7001"));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind("w.toml:11: service.prot: unknown key", 0) == 0);
    }
    SECTION("an unknown top-level table") {
        auto [msg, code] = error_of(kGood + "\n[loads]\nx = 1\n");
        CHECK(msg.find(": loads: unknown key") != std::string::npos);
    }
    SECTION("a missing required field names the table's line") {
        auto [msg, code] = error_of(replaced(kGood, "port = 7000\n", ""));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind("w.toml:8: service.port: missing (required)", 0) == 0);
    }
    SECTION("a missing table") {
        auto [msg, code] = error_of(replaced(kGood, "[ready]\nprobe = \"tcp\"\n", ""));
        CHECK(msg.rfind("w.toml:1: ready: missing (required)", 0) == 0);
    }
    SECTION("a wrong type") {
        auto [msg, code] = error_of(replaced(kGood, "port = 7000", "port = \"7000\""));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind("w.toml:10: service.port: must be an integer, not a string", 0) == 0);
    }
    SECTION("a wrong type inside an array") {
        auto [msg, code] = error_of(replaced(kGood, R"(scratch = ["/var/lib/redis"])", R"(scratch = ["/a", 2])"));
        CHECK(msg.rfind("w.toml:11: service.scratch[1]: must be a string, not an integer", 0) == 0);
    }
    SECTION("a throughput pattern that does not compile") {
        auto [msg, code] = error_of(replaced(kGood, "'GET: ([0-9.]+) requests per second'", "'GET: ([0-9.]+ requests'"));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind("w.toml:30: load.throughput: pattern does not compile", 0) == 0);
    }
    SECTION("a throughput pattern without a group") {
        auto [msg, code] = error_of(replaced(kGood, "'GET: ([0-9.]+) requests per second'", "'GET: [0-9.]+'"));
        CHECK(msg.rfind("w.toml:30: load.throughput: needs a group", 0) == 0);
    }
    SECTION("two roots") {
        auto [msg, code] = error_of(replaced(kGood, "[root]\n", "[root]\nimage = \"oci:/srv/pg\"\n"));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind("w.toml:6: root.image: give one of root.debian-packages, image, tarball or directory", 0) == 0);
    }
    SECTION("no root") {
        auto [msg, code] = error_of(replaced(kGood, "debian-packages = [\"redis-server\", \"apt:redis-tools\"]\n", ""));
        CHECK(msg.rfind("w.toml:5: root: needs one of debian-packages, image, tarball or directory", 0) == 0);
    }
    SECTION("an image from a registry") {
        auto [msg, code] = error_of(replaced(kGood, "debian-packages = [\"redis-server\", \"apt:redis-tools\"]",
                                             "image = \"docker://debian:12\""));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind("w.toml:6: root.image: 'docker://debian:12' is not a local image", 0) == 0);
    }
    SECTION("a syntax error") {
        auto [msg, code] = error_of(replaced(kGood, "port = 7000", "port = = 7000"));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind("w.toml:10: syntax: ", 0) == 0);
    }
    SECTION("an unknown placeholder") {
        auto [msg, code] = error_of(replaced(kGood, "\"{concurrency}\"", "\"{clients}\""));
        CHECK(msg.rfind("w.toml:28: load.command: unknown placeholder {clients}", 0) == 0);
    }
    SECTION("a relative program in the sandbox") {
        auto [msg, code] = error_of(replaced(kGood, "\"/usr/bin/redis-server\", \"--port\"", "\"redis-server\", \"--port\""));
        CHECK(msg.rfind("w.toml:9: service.command: must start with an absolute program path", 0) == 0);
    }
    SECTION("a key that does not apply to the probe") {
        auto [msg, code] = error_of(replaced(kGood, "probe = \"tcp\"", "probe = \"tcp\"\npath = \"/\""));
        CHECK(msg.rfind("w.toml:19: ready.path: does not apply to probe = \"tcp\"", 0) == 0);
    }
    SECTION("driver and command together") {
        auto [msg, code] = error_of(replaced(kGood, "[load]\n", "[load]\ndriver = \"wrk\"\n"));
        CHECK(msg.find("load.command: give either load.driver or load.command") != std::string::npos);
    }
    SECTION("a secret that is not in env") {
        auto [msg, code] = error_of(replaced(kGood, R"(secret-env = ["TOKEN"])", R"(secret-env = ["PASSWORD"])"));
        CHECK(msg.rfind("w.toml:13: service.secret-env: 'PASSWORD' is not in service.env", 0) == 0);
    }
    SECTION("a user that is neither UID:GID nor a name") {
        auto [msg, code] = error_of(replaced(kGood, R"(user = "999:998")", R"(user = "999:")"));
        CHECK(msg.rfind("w.toml:14: service.user: must be \"UID:GID\" or a user name", 0) == 0);
    }
}

TEST_CASE("a root's path is relative to the file's directory, and a reference keeps its tag", "[workload]") {
    const std::string pk = "debian-packages = [\"redis-server\", \"apt:redis-tools\"]";
    auto root = [&](const std::string& line, const std::string& origin) {
        return parse_workload_spec(replaced(kGood, pk, line), origin).root;
    };
    auto a = root("image = \"docker-archive:pg.tar\"", "/srv/w/pg.toml");
    CHECK(a.kind == RootSpec::Kind::kImage);
    CHECK(a.source == "docker-archive:/srv/w/pg.tar");
    CHECK(a.field == "root.image");
    CHECK(a.line == 6);
    CHECK(root("image = \"oci:../layouts/pg.oci:15\"", "/srv/w/pg.toml").source == "oci:/srv/layouts/pg.oci:15");
    CHECK(root("image = \"docker-daemon:pg:15\"", "/srv/w/pg.toml").source == "docker-daemon:pg:15");
    auto t = root("tarball = \"/srv/pg.tar.gz\"", "/srv/w/pg.toml");
    CHECK(t.kind == RootSpec::Kind::kTarball);
    CHECK(t.source == "/srv/pg.tar.gz");
    auto d = root("directory = \"root\"", "/srv/w/pg.toml");
    CHECK(d.kind == RootSpec::Kind::kDirectory);
    CHECK(d.source == "/srv/w/root");
}

TEST_CASE("a missing workload file is one error, exit 2", "[workload]") {
    try {
        (void)load_workload_file("/nonexistent/w.toml");
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.exit_code() == kExitUsage);
        CHECK(std::string(e.what()).rfind("workload file /nonexistent/w.toml: ", 0) == 0);
    }
    try {
        (void)make_workload("mysql");
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.exit_code() == kExitUsage);
        CHECK(std::string(e.what()) == "unknown workload 'mysql'");
    }
}

TEST_CASE("the throughput is the last match in a real redis-benchmark -q output", "[workload]") {
    // redis 7.0 redis-benchmark -t set,get -q: interim "rps=" lines, then one final line a test.
    auto out = read_file(std::string(HAP_FIXTURES) + "/redis-benchmark-7.0-q.txt");
    REQUIRE(out.ok());
    auto get = read_throughput(*out, "GET: ([0-9.]+) requests per second");
    REQUIRE(get);
    CHECK(*get == Approx(37243.95));
    CHECK(read_throughput(*out, "SET: ([0-9.]+) requests per second") == Approx(36036.04));
    CHECK_FALSE(read_throughput(*out, "LPUSH: ([0-9.]+) requests per second"));
    CHECK_FALSE(read_throughput("tps = many\n", "tps = ([a-z]+)"));  // not a number
}

TEST_CASE("a user name is looked up in the root's /etc/passwd", "[workload]") {
    const std::string root = std::string(HAP_FIXTURES) + "/roots/postgres";
    CHECK(resolve_user("postgres", root) == std::make_pair(100u, 102u));
    CHECK(resolve_user("root", root) == std::make_pair(0u, 0u));
    try {
        (void)resolve_user("mysql", root);
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(std::string(e.what()) == "service.user 'mysql' is not a user of " + root + "/etc/passwd");
    }
}
