-- hap store, schema version 1. Applied in one transaction by Store::open;
-- PRAGMA user_version records how many migrations a database has.

CREATE TABLE hosts (
    id          INTEGER PRIMARY KEY,
    machine_id  TEXT NOT NULL UNIQUE,     -- /etc/machine-id, else hostname
    hostname    TEXT NOT NULL,
    cpus        INTEGER,
    memory_kb   INTEGER
);

CREATE TABLE kernels (
    id                   INTEGER PRIMARY KEY,
    release              TEXT NOT NULL,   -- uname -r
    version              TEXT NOT NULL,   -- uname -v (the build)
    arch                 TEXT NOT NULL,
    traceable_functions  INTEGER,         -- lines of available_filter_functions, NULL when unreadable
    UNIQUE (release, version, arch)
);

CREATE TABLE runs (
    id                  INTEGER PRIMARY KEY,
    uuid                TEXT NOT NULL UNIQUE,
    host_id             INTEGER NOT NULL REFERENCES hosts(id),
    kernel_id           INTEGER NOT NULL REFERENCES kernels(id),
    runtime             TEXT NOT NULL,    -- runc, crun, runsc, docker, ...
    platform            TEXT NOT NULL DEFAULT '',  -- gVisor platform, VMM, ...
    workload            TEXT NOT NULL,
    image               TEXT NOT NULL DEFAULT '',
    mode                TEXT NOT NULL,    -- capture modes, e.g. "syscalls,kvm"
    network             TEXT NOT NULL DEFAULT '',
    repetition          INTEGER NOT NULL DEFAULT 1,
    status              TEXT NOT NULL CHECK (status IN ('running', 'complete', 'aborted', 'failed')),
    reason              TEXT,             -- why aborted or failed
    owner_pid           INTEGER,          -- the hapctl that writes it, while running
    boot_id             TEXT,
    started_at          TEXT NOT NULL,    -- ISO 8601 UTC
    ended_at            TEXT,
    trace_seconds       REAL,
    load_seconds        REAL,
    events              INTEGER,
    lost_events         INTEGER,
    interrupt_excluded  INTEGER,
    gaps                INTEGER,
    throughput          REAL,
    throughput_unit     TEXT,
    settings            TEXT NOT NULL DEFAULT '{}'  -- JSON: buffer size, load, cpus, ...
);
CREATE INDEX runs_cell ON runs (runtime, platform, workload, kernel_id, mode, status);

CREATE TABLE symbols (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('function', 'syscall', 'hypercall', 'exit_reason', 'pio', 'mmio')),
    raw         TEXT NOT NULL,
    normalized  TEXT NOT NULL,
    UNIQUE (kind, raw)
);

CREATE TABLE hits (
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,             -- workload, runtime, vmm, vcpu, backend, unknown
    symbol_id  INTEGER NOT NULL REFERENCES symbols(id),
    count      INTEGER NOT NULL,
    PRIMARY KEY (run_id, role, symbol_id)
) WITHOUT ROWID;

CREATE TABLE run_tasks (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    tid     INTEGER NOT NULL,
    parent  INTEGER,                      -- set for tasks seen forking during the trace
    role    TEXT NOT NULL,
    comm    TEXT NOT NULL,
    source  TEXT NOT NULL CHECK (source IN ('discovered', 'forked')),
    PRIMARY KEY (run_id, tid)
) WITHOUT ROWID;
