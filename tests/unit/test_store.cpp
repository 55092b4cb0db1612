#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>

#include "files.h"
#include "store.h"
#include "store_fixture.h"

using namespace hap;

namespace {
// Pokes the file behind the store's back, as another program or a crash would.
void raw_sql(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
}
}  // namespace

TEST_CASE("a new database is migrated to the current schema, and reopening changes nothing", "[store]") {
    TempDb db;
    {
        auto s = Store::open(db.path);
        REQUIRE(s.ok());
        REQUIRE((*s)->begin_run(sample_run()).ok());
    }
    auto again = Store::open(db.path);
    REQUIRE(again.ok());
    auto runs = (*again)->runs();
    REQUIRE(runs.ok());
    CHECK(runs->size() == 1);
    sqlite3* raw = nullptr;
    sqlite3_open(db.path.c_str(), &raw);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, nullptr);
    sqlite3_step(st);
    CHECK(sqlite3_column_int(st, 0) == kSchemaVersion);
    sqlite3_finalize(st);
    sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr);
    sqlite3_step(st);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
    sqlite3_finalize(st);
    sqlite3_close(raw);
}

TEST_CASE("a run becomes complete with its hits and tasks in one step", "[store]") {
    TempDb db;
    auto s = Store::open(db.path);
    REQUIRE(s.ok());
    auto id = (*s)->begin_run(sample_run());
    REQUIRE(id.ok());
    CHECK((*s)->runs()->at(0).status == "running");
    REQUIRE((*s)->complete_run(*id, sample_outcome()).ok());
    auto run = (*s)->runs()->at(0);
    CHECK(run.status == "complete");
    CHECK(*run.throughput == Approx(50000));
    auto counts = (*s)->unique_counts(*id);
    REQUIRE(counts.ok());
    std::map<std::string, int64_t> by_role;
    for (const auto& c : *counts) by_role[c.role] = c.unique;
    CHECK(by_role["*"] == 3);  // read, epoll_wait, futex
    CHECK(by_role["workload"] == 2);
    CHECK(by_role["runtime"] == 2);
    CHECK((*s)->tasks(*id)->size() == 2);
    // Symbols are interned: a second run reuses them.
    auto id2 = (*s)->begin_run(sample_run("runc", 2));
    REQUIRE((*s)->complete_run(*id2, sample_outcome()).ok());
    CHECK((*s)->hits(*id2)->size() == 4);
    // A complete run cannot be completed or ended again.
    CHECK_FALSE((*s)->complete_run(*id, sample_outcome()).ok());
}

TEST_CASE("hits of tasks without a role are shown per role but not counted in the total", "[store]") {
    TempDb db;
    auto s = Store::open(db.path);
    REQUIRE(s.ok());
    auto id = (*s)->begin_run(sample_run());
    RunOutcome o = sample_outcome();
    o.hits.push_back({"syscall", "unknown", "sched_yield", "sched_yield", 1});
    o.hits.push_back({"syscall", "unknown", "read", "read", 1});
    REQUIRE((*s)->complete_run(*id, o).ok());
    auto counts = (*s)->unique_counts(*id);
    REQUIRE(counts.ok());
    std::map<std::string, int64_t> by_role;
    for (const auto& c : *counts) by_role[c.role] = c.unique;
    CHECK(by_role["unknown"] == 2);
    CHECK(by_role["*"] == 3);  // sched_yield was reached only by a stranger
}

TEST_CASE("a run whose writer died is aborted at the next open, never counted", "[store]") {
    TempDb db;
    int64_t id = 0;
    {
        auto s = Store::open(db.path);
        id = *(*s)->begin_run(sample_run());
    }
    // pid 2^22+1 is above pid_max's default ceiling: certainly not alive.
    raw_sql(db.path, "UPDATE runs SET owner_pid = 4194305 WHERE id = " + std::to_string(id));
    auto s = Store::open(db.path);
    REQUIRE(s.ok());
    CHECK((*s)->recovered_aborted() == 1);
    auto run = (*s)->runs()->at(0);
    CHECK(run.status == "aborted");
    CHECK_THAT(run.reason, Catch::Contains("4194305"));
    RunFilter complete;
    complete.status = "complete";
    CHECK((*s)->runs(complete)->empty());
}

TEST_CASE("failed and aborted runs keep their reason", "[store]") {
    TempDb db;
    auto s = Store::open(db.path);
    auto id = *(*s)->begin_run(sample_run());
    REQUIRE((*s)->end_run(id, "failed", "runc failed to start").ok());
    CHECK((*s)->runs()->at(0).reason == "runc failed to start");
}

TEST_CASE("corrupt, foreign and newer databases are refused with a clear reason", "[store]") {
    TempDb db;
    SECTION("corrupt") {
        REQUIRE(write_file(db.path, std::string(8192, 'x')).ok());
        auto s = Store::open(db.path);
        REQUIRE_FALSE(s.ok());
        CHECK_THAT(s.error().message, Catch::Contains("corrupt or not a SQLite file"));
    }
    SECTION("foreign") {
        raw_sql(db.path, "CREATE TABLE accounts (id INTEGER)");
        auto s = Store::open(db.path);
        REQUIRE_FALSE(s.ok());
        CHECK_THAT(s.error().message, Catch::Contains("not a hap database"));
    }
    SECTION("newer") {
        raw_sql(db.path, "PRAGMA user_version = 99");
        auto s = Store::open(db.path);
        REQUIRE_FALSE(s.ok());
        CHECK_THAT(s.error().message, Catch::Contains("newer than this hap knows"));
    }
    SECTION("unwritable place") {
        auto s = Store::open("/proc/hap-cannot-be-here/x.db");
        REQUIRE_FALSE(s.ok());
        CHECK_THAT(s.error().message, Catch::Contains("cannot open database"));
    }
}

TEST_CASE("a database locked by another writer is reported as locked, and nothing is lost", "[store]") {
    TempDb db;
    auto s = Store::open(db.path);
    REQUIRE(s.ok());
    auto first = (*s)->begin_run(sample_run());
    REQUIRE(first.ok());
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(db.path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto blocked = (*s)->begin_run(sample_run("runsc"));  // waits out the busy timeout
    REQUIRE_FALSE(blocked.ok());
    CHECK_THAT(blocked.error().message, Catch::Contains("locked by another process"));
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    auto runs = (*s)->runs();
    REQUIRE(runs.ok());
    CHECK(runs->size() == 1);
}

TEST_CASE("an untraced baseline joins a complete run, never a running one, and travels with a merge", "[store]") {
    TempDb db, into;
    {
        auto s = std::move(Store::open(db.path).value());
        auto id = s->begin_run(sample_run());
        REQUIRE(id.ok());
        // Still running: the traced run has not been stored yet.
        CHECK_FALSE(s->record_untraced(*id, 91000.0, "{}").ok());
        REQUIRE(s->complete_run(*id, sample_outcome()).ok());
        REQUIRE(s->record_untraced(*id, 91000.0, R"({"untraced":{"load_seconds":10}})").ok());
        auto id2 = s->begin_run(sample_run("runc", 2));
        REQUIRE(s->complete_run(*id2, sample_outcome()).ok());
        REQUIRE(s->record_untraced(*id2, std::nullopt, R"({"untraced":{"error":"redis never answered"}})").ok());
        auto runs = s->runs();
        REQUIRE(runs->size() == 2);
        REQUIRE(runs->at(0).throughput);
        REQUIRE(runs->at(0).throughput_untraced);
        CHECK(*runs->at(0).throughput == Approx(50000));  // the traced figure keeps its meaning
        CHECK(*runs->at(0).throughput_untraced == Approx(91000));
        CHECK(runs->at(0).settings_json.find("\"load_seconds\":10") != std::string::npos);
        CHECK_FALSE(runs->at(1).throughput_untraced);
        CHECK(runs->at(1).settings_json.find("never answered") != std::string::npos);
    }
    auto dst = std::move(Store::open(into.path).value());
    REQUIRE(dst->merge_from(db.path).ok());
    auto merged = dst->runs();
    REQUIRE(merged->size() == 2);
    REQUIRE(merged->at(0).throughput_untraced);
    CHECK(*merged->at(0).throughput_untraced == Approx(91000));
    CHECK_FALSE(merged->at(1).throughput_untraced);
}

TEST_CASE("a schema-2 store migrates to 3 with its runs intact and no untraced figure", "[store]") {
    TempDb db;
    {
        auto s = std::move(Store::open(db.path).value());
        auto id = s->begin_run(sample_run());
        REQUIRE(s->complete_run(*id, sample_outcome()).ok());
    }
    // Back to schema 2, as a store written before this migration is.
    raw_sql(db.path,
            "DROP TABLE source_functions; DROP TABLE source_maps; "
            "ALTER TABLE runs DROP COLUMN workload_file; ALTER TABLE runs DROP COLUMN workload_origin; "
            "ALTER TABLE runs DROP COLUMN throughput_untraced; PRAGMA user_version = 2;");
    auto s = Store::open(db.path);
    REQUIRE(s.ok());
    auto runs = (*s)->runs();
    REQUIRE(runs.ok());
    REQUIRE(runs->size() == 1);
    REQUIRE(runs->at(0).throughput);
    CHECK(*runs->at(0).throughput == Approx(50000));
    CHECK_FALSE(runs->at(0).throughput_untraced);
}

TEST_CASE("a merge fills a kernel's missing count of traceable functions, never overwrites one", "[store]") {
    // Runs that trace no function do not count them (measurement.cpp), so a
    // store can know a kernel without its count while another store has it.
    TempDb counted, uncounted;
    {
        auto s = std::move(Store::open(counted.path).value());
        hap::RunStart r = sample_run("runc", 1);
        r.kernel.traceable_functions = 51234;
        REQUIRE(s->begin_run(r).ok());
    }
    auto dst = std::move(Store::open(uncounted.path).value());
    REQUIRE(dst->begin_run(sample_run("native", 1)).ok());
    REQUIRE(dst->kernels()->at(0).traceable_functions == std::nullopt);
    REQUIRE(dst->merge_from(counted.path).ok());
    auto kernels = dst->kernels();
    REQUIRE(kernels->size() == 1);
    CHECK(kernels->at(0).traceable_functions == std::optional<int64_t>(51234));
}

namespace {
// One text column of the first run, read with SQLite itself ("" for NULL).
std::string first_run_text(const std::string& path, const std::string& column) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw, ("SELECT " + column + " FROM runs ORDER BY id LIMIT 1").c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const unsigned char* t = sqlite3_column_text(st, 0);
    std::string out = t ? reinterpret_cast<const char*>(t) : "";
    sqlite3_finalize(st);
    sqlite3_close(raw);
    return out;
}
}  // namespace

TEST_CASE("a run keeps the workload file it came from, and a merge carries it", "[store]") {
    TempDb db, into;
    {
        auto s = std::move(Store::open(db.path).value());
        hap::RunStart r = sample_run();
        r.workload_origin = "/srv/pg.toml";
        r.workload_file = "name = \"pg\"\n";
        auto id = s->begin_run(r);
        REQUIRE(id.ok());
        REQUIRE(s->complete_run(*id, sample_outcome()).ok());  // a merge takes ended runs only
    }
    CHECK(first_run_text(db.path, "workload_origin") == "/srv/pg.toml");
    CHECK(first_run_text(db.path, "workload_file") == "name = \"pg\"\n");
    auto dst = std::move(Store::open(into.path).value());
    REQUIRE(dst->merge_from(db.path).ok());
    CHECK(first_run_text(into.path, "workload_origin") == "/srv/pg.toml");
    CHECK(first_run_text(into.path, "workload_file") == "name = \"pg\"\n");
}

TEST_CASE("a run without a workload file (hapctl trace) stores NULL for it", "[store]") {
    TempDb db;
    {
        auto s = std::move(Store::open(db.path).value());
        REQUIRE(s->begin_run(sample_run()).ok());
    }
    CHECK(first_run_text(db.path, "coalesce(workload_origin, 'NULL')") == "NULL");
}
