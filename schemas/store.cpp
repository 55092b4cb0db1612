#include "store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <ctime>
#include <utility>

#include "procfs.h"
#include "process.h"

namespace hap {
namespace {

const std::pair<const char*, const char*> kMigrations[] = {
#include "migrations.inc"
};

Error db_error(const std::string& path, const sql::DbError& e) {
    const int primary = e.code & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
        return Error{"database " + path + " is corrupt or not a SQLite file (" + e.message + ")"};
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        return Error{"database " + path + " is locked by another process (" + e.message + ")", EBUSY};
    if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM)
        return Error{"database " + path + " cannot be written (" + e.message + ")", EACCES};
    if (primary == SQLITE_FULL) return Error{"database " + path + ": disk full", ENOSPC};
    return Error{"database " + path + ": " + e.message};
}

// Runs `body` and converts SQLite failures into Error values.
template <class F>
auto guarded(const std::string& path, F&& body) -> Expected<decltype(body())> {
    try {
        return body();
    } catch (const sql::DbError& e) {
        return db_error(path, e);
    }
}

template <class F>
Status guarded_void(const std::string& path, F&& body) {
    try {
        body();
        return {};
    } catch (const sql::DbError& e) {
        return db_error(path, e);
    }
}

sql::Value opt(const std::optional<int64_t>& v) { return v ? sql::Value(*v) : sql::Value(nullptr); }
sql::Value opt(const std::optional<double>& v) { return v ? sql::Value(*v) : sql::Value(nullptr); }

}  // namespace

std::string utc_now_iso8601() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& path) {
    auto db = sql::Database::open(path);
    if (!db) return db.error();
    return opened(std::move(*db), path, true);
}

Expected<std::unique_ptr<Store>> Store::open_for_reading(const std::string& path) {
    auto db = sql::Database::open(path);
    if (!db) return db.error();
    int64_t have = 0;
    if (auto st = guarded_void(path, [&] { have = schema_version(*db); }); !st) return st.error();
    // Version 0 (empty or foreign) and newer versions get open()'s answers.
    if (have == 0 || have >= static_cast<int64_t>(std::size(kMigrations))) return opened(std::move(*db), path, true);
    auto copy = sql::Database::memory_copy_of(*db);
    if (!copy) return copy.error();
    return opened(std::move(*copy), path, false);
}

Expected<std::unique_ptr<Store>> Store::opened(sql::Database db, const std::string& path, bool in_file) {
    std::unique_ptr<Store> store(new Store(std::move(db)));
    auto st = guarded_void(path, [&] {
        store->db_.exec("PRAGMA foreign_keys = ON");
        // WAL lets readers (report, export) run while a measurement writes;
        // an in-memory copy has no other reader.
        if (in_file) store->db_.prepare("PRAGMA journal_mode = WAL").step();
        store->migrate();
        store->abort_orphans();
    });
    if (!st) return st.error();
    return store;
}

int64_t Store::schema_version(sql::Database& db) {
    auto q = db.prepare("PRAGMA user_version");
    q.step();
    return q.int_at(0);
}

void Store::migrate() {
    // The statement is finalised before any migration runs: an open one
    // keeps DROP TABLE (version 6) from running ("database table is locked").
    const int64_t have = schema_version(db_);
    const int64_t known = static_cast<int64_t>(std::size(kMigrations));
    if (have > known)
        throw sql::DbError{"schema version " + std::to_string(have) + " is newer than this hap knows (" +
                               std::to_string(known) + "); use a newer hapctl",
                           SQLITE_ERROR};
    if (have == 0) {
        // A non-empty database without our version is somebody else's file.
        auto t = db_.prepare("SELECT count(*) FROM sqlite_master");
        t.step();
        if (t.int_at(0) > 0)
            throw sql::DbError{"it has tables but no hap schema version: not a hap database", SQLITE_NOTADB};
    }
    for (int64_t v = have; v < known; ++v) {
        sql::Transaction tx(db_);
        db_.exec(kMigrations[v].second);
        db_.exec("PRAGMA user_version = " + std::to_string(v + 1));
        tx.commit();
    }
}

void Store::abort_orphans() {
    const std::string boot = boot_id();
    std::vector<std::pair<int64_t, std::string>> dead;
    auto q = db_.prepare("SELECT id, owner_pid, boot_id FROM runs WHERE status = 'running'");
    while (q.step()) {
        pid_t owner = static_cast<pid_t>(q.int_at(1));
        bool same_boot = q.text_at(2) == boot;
        if (same_boot && owner == ::getpid()) continue;
        if (same_boot && process_alive(owner) && task_comm(owner).rfind("hap", 0) == 0) continue;
        dead.emplace_back(q.int_at(0), "hapctl (pid " + std::to_string(owner) + ") ended before the run finished" +
                                           (same_boot ? "" : "; the host rebooted"));
    }
    for (const auto& [id, reason] : dead) {
        auto u = db_.prepare(
            "UPDATE runs SET status = 'aborted', reason = ?1, ended_at = ?2, owner_pid = NULL "
            "WHERE id = ?3 AND status = 'running'");
        u.bind(1, reason).bind(2, utc_now_iso8601()).bind(3, id).step();
        ++recovered_;
    }
}

int64_t Store::host_id(const HostRecord& h) {
    auto ins = db_.prepare(
        "INSERT INTO hosts (machine_id, hostname, cpus, memory_kb) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (machine_id) DO UPDATE SET hostname = excluded.hostname, cpus = excluded.cpus, "
        "memory_kb = excluded.memory_kb");
    ins.bind(1, h.machine_id).bind(2, h.hostname).bind(3, h.cpus).bind(4, h.memory_kb).step();
    auto q = db_.prepare("SELECT id FROM hosts WHERE machine_id = ?1");
    q.bind(1, h.machine_id).step();
    return q.int_at(0);
}

int64_t Store::kernel_id(const KernelRecord& k) {
    auto ins = db_.prepare(
        "INSERT INTO kernels (release, version, arch, traceable_functions) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (release, version, arch) DO UPDATE SET "
        "traceable_functions = coalesce(excluded.traceable_functions, traceable_functions)");
    ins.bind(1, k.release).bind(2, k.version).bind(3, k.arch).bind(4, opt(k.traceable_functions)).step();
    auto q = db_.prepare("SELECT id FROM kernels WHERE release = ?1 AND version = ?2 AND arch = ?3");
    q.bind(1, k.release).bind(2, k.version).bind(3, k.arch).step();
    return q.int_at(0);
}

Expected<int64_t> Store::begin_run(const RunStart& r) {
    return guarded(path(), [&]() -> int64_t {
        sql::Transaction tx(db_);
        int64_t host = host_id(r.host), kernel = kernel_id(r.kernel);
        auto ins = db_.prepare(
            "INSERT INTO runs (uuid, host_id, kernel_id, runtime, platform, workload, image, mode, network, "
            "repetition, status, owner_pid, boot_id, started_at, settings, workload_origin, workload_file) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running', ?11, ?12, ?13, ?14, ?15, ?16)");
        ins.bind(1, r.uuid).bind(2, host).bind(3, kernel).bind(4, r.runtime).bind(5, r.platform);
        ins.bind(6, r.workload).bind(7, r.image).bind(8, r.mode).bind(9, r.network);
        ins.bind(10, int64_t{r.repetition}).bind(11, int64_t{::getpid()}).bind(12, boot_id());
        ins.bind(13, utc_now_iso8601()).bind(14, r.settings_json);
        if (r.workload_origin.empty()) ins.bind(15, nullptr).bind(16, nullptr);  // hapctl trace: a command, not a workload file
        else ins.bind(15, r.workload_origin).bind(16, r.workload_file);
        ins.step();
        int64_t id = db_.last_insert_id();
        tx.commit();
        return id;
    });
}

Status Store::complete_run(int64_t run_id, const RunOutcome& o) {
    return guarded_void(path(), [&] {
        sql::Transaction tx(db_);
        auto sym_ins = db_.prepare("INSERT INTO symbols (kind, raw, normalized) VALUES (?1, ?2, ?3) "
                                   "ON CONFLICT (kind, raw) DO NOTHING");
        auto sym_get = db_.prepare("SELECT id FROM symbols WHERE kind = ?1 AND raw = ?2");
        auto hit_ins = db_.prepare("INSERT INTO hits (run_id, role, symbol_id, count) VALUES (?1, ?2, ?3, ?4)");
        for (const auto& h : o.hits) {
            sym_ins.bind(1, h.kind).bind(2, h.raw).bind(3, h.normalized);
            sym_ins.step();
            sym_ins.reset();
            sym_get.bind(1, h.kind).bind(2, h.raw);
            sym_get.step();
            int64_t sid = sym_get.int_at(0);
            sym_get.reset();
            hit_ins.bind(1, run_id).bind(2, h.role).bind(3, sid).bind(4, static_cast<int64_t>(h.count));
            hit_ins.step();
            hit_ins.reset();
        }
        auto task_ins = db_.prepare(
            "INSERT OR REPLACE INTO run_tasks (run_id, tid, parent, role, comm, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        for (const auto& t : o.tasks) {
            task_ins.bind(1, run_id).bind(2, t.tid).bind(3, t.parent ? sql::Value(t.parent) : sql::Value(nullptr));
            task_ins.bind(4, t.role).bind(5, t.comm).bind(6, std::string(t.discovered ? "discovered" : "forked"));
            task_ins.step();
            task_ins.reset();
        }
        auto upd = db_.prepare(
            "UPDATE runs SET status = 'complete', ended_at = ?1, owner_pid = NULL, events = ?2, lost_events = ?3, "
            "interrupt_excluded = ?4, gaps = ?5, trace_seconds = ?6, load_seconds = ?7, throughput = ?8, "
            "throughput_unit = ?9 WHERE id = ?10 AND status = 'running'");
        upd.bind(1, utc_now_iso8601()).bind(2, static_cast<int64_t>(o.events));
        upd.bind(3, static_cast<int64_t>(o.lost_events)).bind(4, static_cast<int64_t>(o.interrupt_excluded));
        upd.bind(5, static_cast<int64_t>(o.gaps)).bind(6, o.trace_seconds).bind(7, o.load_seconds);
        upd.bind(8, opt(o.throughput)).bind(9, o.throughput_unit).bind(10, run_id);
        upd.step();
        auto chk = db_.prepare("SELECT changes()");
        chk.step();
        if (chk.int_at(0) != 1)
            throw sql::DbError{"run " + std::to_string(run_id) + " is not running (aborted meanwhile?)", SQLITE_ERROR};
        if (!o.settings_patch_json.empty()) {
            auto patch = db_.prepare("UPDATE runs SET settings = json_patch(settings, ?1) WHERE id = ?2");
            patch.bind(1, o.settings_patch_json).bind(2, run_id).step();
        }
        tx.commit();
    });
}

Status Store::end_run(int64_t run_id, const std::string& status, const std::string& reason) {
    return guarded_void(path(), [&] {
        auto upd = db_.prepare(
            "UPDATE runs SET status = ?1, reason = ?2, ended_at = ?3, owner_pid = NULL "
            "WHERE id = ?4 AND status = 'running'");
        upd.bind(1, status).bind(2, reason).bind(3, utc_now_iso8601()).bind(4, run_id).step();
    });
}

Status Store::record_untraced(int64_t run_id, std::optional<double> throughput, const std::string& settings_patch_json) {
    return guarded_void(path(), [&] {
        sql::Transaction tx(db_);
        auto upd = db_.prepare(
            "UPDATE runs SET throughput_untraced = ?1, settings = json_patch(settings, ?2) WHERE id = ?3 AND status = 'complete'");
        upd.bind(1, opt(throughput)).bind(2, settings_patch_json.empty() ? std::string("{}") : settings_patch_json).bind(3, run_id);
        upd.step();
        auto chk = db_.prepare("SELECT changes()");
        chk.step();
        if (chk.int_at(0) != 1)
            throw sql::DbError{"run " + std::to_string(run_id) + " is not complete: an untraced baseline belongs to a complete run",
                               SQLITE_ERROR};
        tx.commit();
    });
}

Expected<std::vector<RunRow>> Store::runs(const RunFilter& f) {
    return guarded(path(), [&] {
        std::string where = " WHERE 1";
        std::vector<sql::Value> args;
        auto add = [&](const char* col, const std::optional<std::string>& v) {
            if (!v) return;
            args.emplace_back(*v);
            where += std::string(" AND r.") + col + " = ?" + std::to_string(args.size());
        };
        add("status", f.status);
        add("runtime", f.runtime);
        add("workload", f.workload);
        if (!f.ids.empty()) {
            where += " AND r.id IN (";
            for (size_t i = 0; i < f.ids.size(); ++i) where += (i ? "," : "") + std::to_string(f.ids[i]);
            where += ")";
        }
        auto q = db_.prepare(
            "SELECT r.id, r.uuid, r.runtime, r.platform, r.workload, r.image, r.mode, r.network, r.status, "
            "coalesce(r.reason, ''), r.started_at, coalesce(r.ended_at, ''), k.release, h.hostname, r.settings, "
            "r.repetition, r.events, r.lost_events, r.interrupt_excluded, r.trace_seconds, r.load_seconds, "
            "r.throughput, coalesce(r.throughput_unit, ''), r.throughput_untraced "
            "FROM runs r JOIN kernels k ON k.id = r.kernel_id JOIN hosts h ON h.id = r.host_id" +
            where + " ORDER BY r.id");
        for (size_t i = 0; i < args.size(); ++i) q.bind(static_cast<int>(i + 1), args[i]);
        std::vector<RunRow> rows;
        while (q.step()) {
            RunRow r;
            r.id = q.int_at(0);
            r.uuid = q.text_at(1);
            r.runtime = q.text_at(2);
            r.platform = q.text_at(3);
            r.workload = q.text_at(4);
            r.image = q.text_at(5);
            r.mode = q.text_at(6);
            r.network = q.text_at(7);
            r.status = q.text_at(8);
            r.reason = q.text_at(9);
            r.started_at = q.text_at(10);
            r.ended_at = q.text_at(11);
            r.kernel_release = q.text_at(12);
            r.hostname = q.text_at(13);
            r.settings_json = q.text_at(14);
            r.repetition = static_cast<int>(q.int_at(15));
            auto oi = [&](int c) { return q.is_null(c) ? std::nullopt : std::optional<int64_t>(q.int_at(c)); };
            auto od = [&](int c) { return q.is_null(c) ? std::nullopt : std::optional<double>(q.real_at(c)); };
            r.events = oi(16);
            r.lost_events = oi(17);
            r.interrupt_excluded = oi(18);
            r.trace_seconds = od(19);
            r.load_seconds = od(20);
            r.throughput = od(21);
            r.throughput_unit = q.text_at(22);
            r.throughput_untraced = od(23);
            rows.push_back(std::move(r));
        }
        return rows;
    });
}

// Per role, and in total ('*') over the roles that work for the sandbox:
// records of tasks with no role (the tail of a context switch away from a
// traced task, run as the next task) are shown under "unknown", not counted.
Expected<std::vector<UniqueCount>> Store::unique_counts(int64_t run_id) {
    return guarded(path(), [&] {
        auto q = db_.prepare(
            "SELECT s.kind, h.role, count(DISTINCT s.normalized), count(DISTINCT s.raw) FROM hits h "
            "JOIN symbols s ON s.id = h.symbol_id WHERE h.run_id = ?1 GROUP BY s.kind, h.role "
            "UNION ALL "
            "SELECT s.kind, '*', count(DISTINCT s.normalized), count(DISTINCT s.raw) FROM hits h "
            "JOIN symbols s ON s.id = h.symbol_id "
            "WHERE h.run_id = ?1 AND h.role <> 'unknown' GROUP BY s.kind");
        q.bind(1, run_id);
        std::vector<UniqueCount> out;
        while (q.step()) out.push_back(UniqueCount{q.text_at(0), q.text_at(1), q.int_at(2), q.int_at(3)});
        return out;
    });
}

Expected<std::vector<StoredHit>> Store::hits(int64_t run_id) {
    return guarded(path(), [&] {
        auto q = db_.prepare(
            "SELECT s.kind, h.role, s.raw, s.normalized, h.count FROM hits h JOIN symbols s ON s.id = h.symbol_id "
            "WHERE h.run_id = ?1 ORDER BY s.kind, h.role, s.raw");
        q.bind(1, run_id);
        std::vector<StoredHit> out;
        while (q.step())
            out.push_back(StoredHit{q.text_at(0), q.text_at(1), q.text_at(2), q.text_at(3),
                                    static_cast<uint64_t>(q.int_at(4))});
        return out;
    });
}

Expected<std::vector<StoredTask>> Store::tasks(int64_t run_id) {
    return guarded(path(), [&] {
        auto q = db_.prepare(
            "SELECT tid, coalesce(parent, 0), role, comm, source FROM run_tasks WHERE run_id = ?1 ORDER BY tid");
        q.bind(1, run_id);
        std::vector<StoredTask> out;
        while (q.step())
            out.push_back(StoredTask{q.int_at(0), q.int_at(1), q.text_at(2), q.text_at(3), q.text_at(4) == "discovered"});
        return out;
    });
}

Expected<std::vector<KernelRecord>> Store::kernels() {
    return guarded(path(), [&] {
        auto q = db_.prepare("SELECT release, version, arch, traceable_functions FROM kernels ORDER BY id");
        std::vector<KernelRecord> out;
        while (q.step())
            out.push_back(KernelRecord{q.text_at(0), q.text_at(1), q.text_at(2),
                                       q.is_null(3) ? std::nullopt : std::optional<int64_t>(q.int_at(3))});
        return out;
    });
}

Status Store::import_complexity(const std::string& release, const std::vector<std::pair<std::string, int64_t>>& rows,
                                const std::string& source) {
    return guarded_void(path(), [&] {
        sql::Transaction tx(db_);
        db_.prepare("DELETE FROM complexity_tables WHERE kernel_release = ?1").bind(1, release).step();
        auto t = db_.prepare("INSERT INTO complexity_tables (kernel_release, source, imported_at) VALUES (?1, ?2, ?3)");
        t.bind(1, release).bind(2, source).bind(3, utc_now_iso8601()).step();
        // A name defined more than once (static functions in several files)
        // keeps its highest complexity: HAP_cc never understates.
        auto ins = db_.prepare(
            "INSERT INTO complexity (kernel_release, function, complexity) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (kernel_release, function) DO UPDATE SET complexity = max(complexity, excluded.complexity)");
        for (const auto& [fn, cc] : rows) {
            ins.bind(1, release).bind(2, fn).bind(3, cc);
            ins.step();
            ins.reset();
        }
        tx.commit();
    });
}

Expected<std::map<std::string, int64_t>> Store::complexity(const std::string& release) {
    return guarded(path(), [&] {
        auto q = db_.prepare("SELECT function, complexity FROM complexity WHERE kernel_release = ?1");
        q.bind(1, release);
        std::map<std::string, int64_t> out;
        while (q.step()) out.emplace(q.text_at(0), q.int_at(1));
        return out;
    });
}

Status Store::import_source_map(const std::string& release, const StoredSourceMap& map) {
    return guarded_void(path(), [&] {
        sql::Transaction tx(db_);
        db_.prepare("DELETE FROM source_maps WHERE kernel_release = ?1").bind(1, release).step();
        auto t = db_.prepare(
            "INSERT INTO source_maps (kernel_release, origin, description, maintainers, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)");
        t.bind(1, release).bind(2, map.origin).bind(3, map.description).bind(4, map.maintainers).bind(5, utc_now_iso8601()).step();
        // One by-name row per (function, file): the first definition in the
        // file; one exact row per symbol.
        auto ins = db_.prepare(
            "INSERT INTO source_functions (kernel_release, function, file, line, how, symbol) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
            "ON CONFLICT (kernel_release, function, file, symbol) DO UPDATE SET line = min(line, excluded.line)");
        for (const auto& r : map.rows) {
            ins.bind(1, release).bind(2, r.function).bind(3, r.file).bind(4, r.line).bind(5, r.how).bind(6, r.symbol);
            ins.step();
            ins.reset();
        }
        tx.commit();
    });
}

Expected<std::optional<StoredSourceMap>> Store::source_map(const std::string& release) {
    return guarded(path(), [&]() -> std::optional<StoredSourceMap> {
        auto m = db_.prepare("SELECT origin, description, maintainers FROM source_maps WHERE kernel_release = ?1");
        m.bind(1, release);
        if (!m.step()) return std::nullopt;
        StoredSourceMap out{m.text_at(0), m.text_at(1), m.text_at(2), {}};
        auto q = db_.prepare(
            "SELECT function, file, line, how, symbol FROM source_functions WHERE kernel_release = ?1 ORDER BY function, file, symbol");
        q.bind(1, release);
        while (q.step()) out.rows.push_back(SourceRow{q.text_at(0), q.text_at(1), q.int_at(2), q.text_at(3), q.text_at(4)});
        return out;
    });
}

Expected<MergeCounts> Store::merge_from(const std::string& src_path) {
    auto counts = guarded(path(), [&]() -> MergeCounts {
        db_.prepare("ATTACH DATABASE ?1 AS src").bind(1, src_path).step();
        struct Detach {
            sql::Database& db;
            ~Detach() {
                try {
                    db.exec("DETACH DATABASE src");
                } catch (const sql::DbError&) {
                }
            }
        } detach{db_};
        // Statements are scoped: a pending one would lock the DROP TABLEs below.
        const int64_t v = [&] {
            auto version = db_.prepare("PRAGMA src.user_version");
            version.step();
            return version.int_at(0);
        }();
        if (v == 0) throw sql::DbError{src_path + " is not a hap database (no hap schema version)", SQLITE_NOTADB};
        if (v > static_cast<int64_t>(std::size(kMigrations)))
            throw sql::DbError{src_path + " has schema version " + std::to_string(v) + ", newer than this hap knows",
                               SQLITE_ERROR};
        auto changes = [&] {
            auto c = db_.prepare("SELECT changes()");
            c.step();
            return c.int_at(0);
        };
        MergeCounts n;
        sql::Transaction tx(db_);
        db_.exec(
            "INSERT INTO main.hosts (machine_id, hostname, cpus, memory_kb) "
            "SELECT machine_id, hostname, cpus, memory_kb FROM src.hosts "
            "WHERE machine_id NOT IN (SELECT machine_id FROM main.hosts)");
        n.hosts = changes();
        db_.exec(
            "INSERT INTO main.kernels (release, version, arch, traceable_functions) "
            "SELECT release, version, arch, traceable_functions FROM src.kernels s WHERE NOT EXISTS "
            "(SELECT 1 FROM main.kernels k WHERE k.release = s.release AND k.version = s.version AND k.arch = s.arch)");
        n.kernels = changes();
        // A kernel first seen here by runs that traced no function has no
        // count of traceable functions yet: take the source's.
        db_.exec(
            "UPDATE main.kernels SET traceable_functions = (SELECT s.traceable_functions FROM src.kernels s "
            "WHERE s.release = main.kernels.release AND s.version = main.kernels.version AND s.arch = main.kernels.arch "
            "AND s.traceable_functions IS NOT NULL) WHERE traceable_functions IS NULL");
        db_.exec(
            "INSERT INTO main.symbols (kind, raw, normalized) SELECT kind, raw, normalized FROM src.symbols WHERE 1 "
            "ON CONFLICT (kind, raw) DO NOTHING");
        n.symbols = changes();
        db_.exec("DROP TABLE IF EXISTS temp.merge_runs");
        // A run still `running` in the source belongs to a writer elsewhere: not ours to copy.
        db_.exec(
            "CREATE TEMP TABLE merge_runs AS SELECT id AS src_id, uuid FROM src.runs "
            "WHERE status != 'running' AND uuid NOT IN (SELECT uuid FROM main.runs)");
        n.runs_skipped = [&] {
            auto skipped = db_.prepare("SELECT (SELECT count(*) FROM src.runs) - (SELECT count(*) FROM temp.merge_runs)");
            skipped.step();
            return skipped.int_at(0);
        }();
        db_.exec(
            "INSERT INTO main.runs (uuid, host_id, kernel_id, runtime, platform, workload, image, mode, network, "
            "repetition, status, reason, owner_pid, boot_id, started_at, ended_at, trace_seconds, load_seconds, events, "
            "lost_events, interrupt_excluded, gaps, throughput, throughput_unit, settings) "
            "SELECT r.uuid, "
            "(SELECT h2.id FROM src.hosts h1 JOIN main.hosts h2 ON h2.machine_id = h1.machine_id WHERE h1.id = r.host_id), "
            "(SELECT k2.id FROM src.kernels k1 JOIN main.kernels k2 ON k2.release = k1.release AND "
            "k2.version = k1.version AND k2.arch = k1.arch WHERE k1.id = r.kernel_id), "
            "r.runtime, r.platform, r.workload, r.image, r.mode, r.network, r.repetition, r.status, r.reason, NULL, "
            "r.boot_id, r.started_at, r.ended_at, r.trace_seconds, r.load_seconds, r.events, r.lost_events, "
            "r.interrupt_excluded, r.gaps, r.throughput, r.throughput_unit, r.settings "
            "FROM src.runs r JOIN temp.merge_runs t ON t.src_id = r.id ORDER BY r.id");
        n.runs = changes();
        if (v >= 3)
            db_.exec(
                "UPDATE main.runs SET throughput_untraced = (SELECT r.throughput_untraced FROM src.runs r "
                "WHERE r.uuid = main.runs.uuid) WHERE uuid IN (SELECT uuid FROM temp.merge_runs)");
        if (v >= 4)
            db_.exec(
                "UPDATE main.runs SET (workload_origin, workload_file) = (SELECT r.workload_origin, r.workload_file "
                "FROM src.runs r WHERE r.uuid = main.runs.uuid) WHERE uuid IN (SELECT uuid FROM temp.merge_runs)");
        db_.exec(
            "INSERT INTO main.hits (run_id, role, symbol_id, count) "
            "SELECT m.id, h.role, ms.id, h.count FROM src.hits h JOIN temp.merge_runs t ON t.src_id = h.run_id "
            "JOIN main.runs m ON m.uuid = t.uuid JOIN src.symbols ss ON ss.id = h.symbol_id "
            "JOIN main.symbols ms ON ms.kind = ss.kind AND ms.raw = ss.raw");
        db_.exec(
            "INSERT INTO main.run_tasks (run_id, tid, parent, role, comm, source) "
            "SELECT m.id, k.tid, k.parent, k.role, k.comm, k.source FROM src.run_tasks k "
            "JOIN temp.merge_runs t ON t.src_id = k.run_id JOIN main.runs m ON m.uuid = t.uuid");
        if (v >= 2) {
            db_.exec("DROP TABLE IF EXISTS temp.merge_cc");
            db_.exec(
                "CREATE TEMP TABLE merge_cc AS SELECT kernel_release FROM src.complexity_tables "
                "WHERE kernel_release NOT IN (SELECT kernel_release FROM main.complexity_tables)");
            db_.exec(
                "INSERT INTO main.complexity_tables SELECT * FROM src.complexity_tables "
                "WHERE kernel_release IN (SELECT kernel_release FROM temp.merge_cc)");
            n.complexity_tables = changes();
            db_.exec(
                "INSERT INTO main.complexity SELECT * FROM src.complexity "
                "WHERE kernel_release IN (SELECT kernel_release FROM temp.merge_cc)");
            db_.exec("DROP TABLE temp.merge_cc");
        }
        if (v >= 5) {
            db_.exec("DROP TABLE IF EXISTS temp.merge_src");
            db_.exec(
                "CREATE TEMP TABLE merge_src AS SELECT kernel_release FROM src.source_maps "
                "WHERE kernel_release NOT IN (SELECT kernel_release FROM main.source_maps)");
            db_.exec(
                "INSERT INTO main.source_maps SELECT * FROM src.source_maps "
                "WHERE kernel_release IN (SELECT kernel_release FROM temp.merge_src)");
            n.source_maps = changes();
            // A version 5 source has no symbol column: its rows are all by name.
            db_.exec(std::string("INSERT INTO main.source_functions (kernel_release, function, file, line, how, symbol) ") +
                     "SELECT kernel_release, function, file, line, how, " + (v >= 6 ? "symbol" : "''") +
                     " FROM src.source_functions WHERE kernel_release IN (SELECT kernel_release FROM temp.merge_src)");
            db_.exec("DROP TABLE temp.merge_src");
        }
        db_.exec("DROP TABLE temp.merge_runs");
        tx.commit();
        return n;
    });
    return counts;
}

}  // namespace hap
