#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "csv.h"
#include "files.h"
#include "run_export.h"
#include "store_fixture.h"

using namespace hap;

TEST_CASE("CSV fields are quoted only when they must be", "[csv]") {
    CHECK(csv_field("runc") == "runc");
    CHECK(csv_field("syscalls,kvm") == "\"syscalls,kvm\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    std::ostringstream out;
    write_csv_row(out, {"a", "b,c", ""});
    CHECK(out.str() == "a,\"b,c\",\n");
}

TEST_CASE("export gives one row per run with unique syscalls by role", "[csv]") {
    TempDb db;
    auto s = Store::open(db.path);
    auto id = *(*s)->begin_run(sample_run());
    REQUIRE((*s)->complete_run(id, sample_outcome()).ok());
    auto failed = *(*s)->begin_run(sample_run("runsc"));
    REQUIRE((*s)->end_run(failed, "failed", "runsc: exit 1, \"boom\"").ok());

    auto runs = summarize_runs(**s, {});
    REQUIRE(runs.ok());
    std::ostringstream out;
    write_runs_csv(out, *runs);
    auto lines = split(trim(out.str()), '\n');
    REQUIRE(lines.size() == 3);
    auto header = split(lines[0], ',');
    auto col = [&](const std::string& name) {
        for (size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return i;
        FAIL("no column " << name);
        return size_t{0};
    };
    auto row = split(lines[1], ',');
    CHECK(row[col("runtime")] == "runc");
    CHECK(row[col("kernel")] == "6.1.0-28-amd64");
    CHECK(row[col("hap_sys")] == "3");
    CHECK(row[col("sys_workload")] == "2");
    CHECK(row[col("sys_runtime")] == "2");
    CHECK(row[col("sys_vmm")] == "");  // runc has no VMM task: not applicable, never 0
    // Not captured in this mode: empty, never 0.
    CHECK(row[col("hap_fn")] == "");
    CHECK(row[col("fn_workload")] == "");
    CHECK(row[col("throughput")] == "50000");
    CHECK(row[col("lost_events")] == "0");
    // The failed run: no figures, its reason quoted intact.
    CHECK(lines[2].find("failed") != std::string::npos);
    CHECK(lines[2].find("\"runsc: exit 1, \"\"boom\"\"\"") != std::string::npos);
    auto failed_row = split(lines[2], ',');
    CHECK(failed_row[col("hap_sys")] == "");
}

TEST_CASE("JSON export carries numbers as numbers and the settings object", "[csv]") {
    TempDb db;
    auto s = Store::open(db.path);
    auto start = sample_run();
    start.settings_json = R"({"buffer_kb_per_cpu": 16384})";
    auto id = *(*s)->begin_run(start);
    REQUIRE((*s)->complete_run(id, sample_outcome()).ok());
    std::ostringstream out;
    write_runs_json(out, *summarize_runs(**s, {}));
    auto j = nlohmann::json::parse(out.str());
    REQUIRE(j.size() == 1);
    CHECK(j[0]["hap_sys"] == 3);
    CHECK(j[0]["hap_fn"].is_null());
    CHECK(j[0]["settings"]["buffer_kb_per_cpu"] == 16384);
    CHECK(j[0]["by_role"]["syscall"]["workload"] == 2);
}

TEST_CASE("export gives hap_fn by normalised name and hap_fn_raw one per function address", "[csv]") {
    TempDb db;
    auto s = Store::open(db.path);
    RunStart start = sample_run();
    start.mode = "function_graph";
    auto id = *(*s)->begin_run(start);
    RunOutcome o = sample_outcome();
    // Four functions at four addresses, two source names: a clone
    // (getname_flags.part.0, the 6.1 capture) and two static functions of
    // one name (__nr_to_section, kallsyms-6.18-same-name.txt).
    o.hits = {{"function", "workload", "getname_flags", "getname_flags", 3},
              {"function", "workload", "getname_flags.part.0", "getname_flags", 1},
              {"function", "workload", "__nr_to_section@vmlinux:1", "__nr_to_section", 2},
              {"function", "runtime", "__nr_to_section@vmlinux:2", "__nr_to_section", 2}};
    REQUIRE((*s)->complete_run(id, o).ok());
    auto runs = summarize_runs(**s, {});
    REQUIRE(runs.ok());
    REQUIRE(runs->size() == 1);
    CHECK((*runs)[0].hap_fn == 2);
    CHECK((*runs)[0].hap_fn_raw == 4);
    std::ostringstream out;
    write_runs_json(out, *runs);
    auto j = nlohmann::json::parse(out.str());
    CHECK(j[0]["hap_fn"] == 2);
    CHECK(j[0]["hap_fn_raw"] == 4);
}
