// The run store (DESIGN.md, "Store"). A run is inserted as `running` when it
// starts and becomes `complete` in one transaction with all its hits, or
// `aborted`/`failed` with a reason. A run whose writer died is found at the
// next open and marked aborted, so it is never counted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "error.h"
#include "sqlite_db.h"

namespace hap {

inline constexpr int kSchemaVersion = 6;

struct HostRecord {
    std::string machine_id, hostname;
    int64_t cpus = 0, memory_kb = 0;
};

struct KernelRecord {
    std::string release, version, arch;
    std::optional<int64_t> traceable_functions;
};

struct RunStart {
    std::string uuid, runtime, platform, workload, image, mode, network;
    std::string workload_origin, workload_file;  // where the workload file came from, its text (secrets redacted)
    int repetition = 1;
    std::string settings_json = "{}";
    HostRecord host;
    KernelRecord kernel;
};

struct StoredHit {
    std::string kind, role, raw, normalized;
    uint64_t count = 0;
};

struct StoredTask {
    int64_t tid = 0, parent = 0;
    std::string role, comm;
    bool discovered = true;
};

struct RunOutcome {
    std::vector<StoredHit> hits;
    std::vector<StoredTask> tasks;
    uint64_t events = 0, lost_events = 0, interrupt_excluded = 0, gaps = 0;
    double trace_seconds = 0, load_seconds = 0;
    std::optional<double> throughput;
    std::string throughput_unit;
    // Merged into the run's settings JSON (json_patch) when it completes:
    // what only the end of a run knows, e.g. the tracer's own cost.
    std::string settings_patch_json;
};

struct RunRow {
    int64_t id = 0;
    std::string uuid, runtime, platform, workload, image, mode, network, status, reason;
    std::string started_at, ended_at, kernel_release, hostname, settings_json;
    int repetition = 1;
    std::optional<int64_t> events, lost_events, interrupt_excluded;
    std::optional<double> trace_seconds, load_seconds, throughput;
    std::string throughput_unit;
    // The same load in a fresh, untraced sandbox (schema 3); unit as above.
    std::optional<double> throughput_untraced;
};

struct RunFilter {
    std::optional<std::string> status, runtime, workload;
    std::vector<int64_t> ids;
};

// What `merge_from` added (and found already present) in the destination.
struct MergeCounts {
    int64_t hosts = 0, kernels = 0, symbols = 0, runs = 0, runs_skipped = 0, complexity_tables = 0, source_maps = 0;
};

// One definition of a function in a kernel's source (scripts/sources/build-table),
// or one function of the measured build's debug symbols
// (scripts/sources/build-exact-table: how "exact", symbol NAME@OBJECT:N).
struct SourceRow {
    std::string function, file;
    int64_t line = 0;
    std::string how;     // c, h, syscall, macro (by name) or exact
    std::string symbol;  // exact rows only: which of the functions of this name
};

// A kernel's function -> file table and the same source's MAINTAINERS.
struct StoredSourceMap {
    std::string origin, description, maintainers;
    std::vector<SourceRow> rows;
};

// Unique symbols of one kind reached by one role of one run ("*" = all roles).
struct UniqueCount {
    std::string kind, role;
    int64_t unique = 0;      // distinct normalised names
    int64_t unique_raw = 0;  // distinct raw names: functions one per address
};

class Store {
public:
    // Creates or migrates `path`; refuses corrupt, foreign or newer databases.
    static Expected<std::unique_ptr<Store>> open(const std::string& path);
    // For commands that only read (report, check, diff, export, chart, runs):
    // a store of the current schema is opened as open() does; an older one
    // is not migrated in its file (committed reference stores and fixtures
    // would change under `git status`) but in a private in-memory copy, so
    // its runs read as the current schema gives them. Errors as open().
    static Expected<std::unique_ptr<Store>> open_for_reading(const std::string& path);

    Expected<int64_t> begin_run(const RunStart& run);
    Status complete_run(int64_t run_id, const RunOutcome& outcome);
    Status end_run(int64_t run_id, const std::string& status, const std::string& reason);
    // Adds the untraced baseline to a complete run: its throughput (nullopt
    // when the untraced run failed) and `settings_patch_json`, merged into the
    // run's settings (json_patch), which says how it was run or why it failed.
    // Errors: the run is not complete, or the database refuses the write.
    Status record_untraced(int64_t run_id, std::optional<double> throughput, const std::string& settings_patch_json);

    Expected<std::vector<RunRow>> runs(const RunFilter& filter = {});
    Expected<std::vector<UniqueCount>> unique_counts(int64_t run_id);
    Expected<std::vector<StoredHit>> hits(int64_t run_id);
    Expected<std::vector<StoredTask>> tasks(int64_t run_id);
    // Kernels known to the store, with their count of traceable functions.
    Expected<std::vector<KernelRecord>> kernels();

    // Complexity tables (HAP_cc), one per kernel release. Importing replaces
    // the release's table; an absent table reads back as an empty map.
    Status import_complexity(const std::string& kernel_release, const std::vector<std::pair<std::string, int64_t>>& rows,
                             const std::string& source);
    Expected<std::map<std::string, int64_t>> complexity(const std::string& kernel_release);

    // Source maps (where functions live), one per kernel release, as the
    // complexity tables: importing replaces the release's map; an absent one
    // reads back as nullopt.
    Status import_source_map(const std::string& kernel_release, const StoredSourceMap& map);
    Expected<std::optional<StoredSourceMap>> source_map(const std::string& kernel_release);

    // Copies every run of the hap database at `src_path` that this store does
    // not hold yet (runs are identified by uuid), with its host, kernel,
    // symbols, hits and tasks, and complexity tables and source maps of releases
    // not present, in one transaction. The source is opened read-only and never migrated.
    Expected<MergeCounts> merge_from(const std::string& src_path);

    // How many runs open() marked aborted because their writer had died.
    int recovered_aborted() const { return recovered_; }
    const std::string& path() const { return db_.path(); }

private:
    explicit Store(sql::Database db) : db_(std::move(db)) {}
    // open()'s and open_for_reading()'s common end: foreign keys, WAL when
    // `db` is the file at `path` (not an in-memory copy of it), the
    // migrations, and runs whose writer died marked aborted.
    static Expected<std::unique_ptr<Store>> opened(sql::Database db, const std::string& path, bool in_file);
    static int64_t schema_version(sql::Database& db);
    void migrate();
    void abort_orphans();
    int64_t host_id(const HostRecord& h);
    int64_t kernel_id(const KernelRecord& k);

    sql::Database db_;
    int recovered_ = 0;
};

std::string utc_now_iso8601();

}  // namespace hap
