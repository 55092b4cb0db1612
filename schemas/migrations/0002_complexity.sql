-- hap store, schema version 2: cyclomatic complexity tables for HAP_cc
-- (DESIGN.md, "HAP figures"). One table per kernel release, keyed by the
-- release (uname -r) rather than a kernels row, because a table is usually
-- imported before any run on that kernel exists.

CREATE TABLE complexity_tables (
    kernel_release  TEXT PRIMARY KEY,
    source          TEXT NOT NULL DEFAULT '',  -- file it was imported from
    imported_at     TEXT NOT NULL              -- ISO 8601 UTC
);

CREATE TABLE complexity (
    kernel_release  TEXT NOT NULL REFERENCES complexity_tables(kernel_release) ON DELETE CASCADE,
    function        TEXT NOT NULL,             -- normalised function name
    complexity      INTEGER NOT NULL CHECK (complexity >= 0),  -- McCabe cyclomatic complexity
    PRIMARY KEY (kernel_release, function)
) WITHOUT ROWID;
