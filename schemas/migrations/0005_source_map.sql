-- hap store, schema version 5: where each function lives (issue 23). Per
-- kernel release, like the complexity tables: the function -> source file
-- table that scripts/sources/build-table makes from that kernel's source,
-- and the same tree's MAINTAINERS (file -> section), kept whole as text and
-- parsed when read, so the matching rules live in one place
-- (analysis/maintainers.h).

CREATE TABLE source_maps (
    kernel_release  TEXT PRIMARY KEY,
    origin          TEXT NOT NULL DEFAULT '',  -- file it was imported from
    description     TEXT NOT NULL DEFAULT '',  -- the table's first line: which linux-source, built when
    maintainers     TEXT NOT NULL DEFAULT '',  -- MAINTAINERS of that source, whole
    imported_at     TEXT NOT NULL              -- ISO 8601 UTC
);

CREATE TABLE source_functions (
    kernel_release  TEXT NOT NULL REFERENCES source_maps(kernel_release) ON DELETE CASCADE,
    function        TEXT NOT NULL,             -- normalised function name
    file            TEXT NOT NULL,             -- relative to the tree's top
    line            INTEGER NOT NULL,          -- where the definition starts
    how             TEXT NOT NULL DEFAULT '',  -- c, h or syscall: the pass that found it
    PRIMARY KEY (kernel_release, function, file)
) WITHOUT ROWID;
