-- hap store, schema version 6: where each function lives, exactly (issue 23).
-- A kernel's map may now hold, beside the by-name rows of its source
-- (scripts/sources/build-table; how = c, h, syscall, macro), rows read from
-- the debug symbols of the very build that was measured
-- (scripts/sources/build-exact-table; how = exact). Several functions of one
-- name (static functions of several files, a module's own copy) are told
-- apart by `symbol`: the name as the kernel lists it, its object and its
-- ordinal among that object's functions of the name in address order
-- (init_once@vmlinux:7, as tracer/kallsyms.h names a function whose name is
-- shared). By-name rows have symbol ''. SQLite cannot change a primary key
-- in place: the table is made anew and its rows copied.
CREATE TABLE source_functions_6 (
    kernel_release  TEXT NOT NULL REFERENCES source_maps(kernel_release) ON DELETE CASCADE,
    function        TEXT NOT NULL,             -- normalised function name
    file            TEXT NOT NULL,             -- relative to the tree's top
    line            INTEGER NOT NULL,          -- where the definition starts
    how             TEXT NOT NULL DEFAULT '',  -- c, h, syscall, macro (by name) or exact (debug symbols)
    symbol          TEXT NOT NULL DEFAULT '',  -- exact rows: NAME@OBJECT:N; by-name rows: ''
    PRIMARY KEY (kernel_release, function, file, symbol)
) WITHOUT ROWID;
INSERT INTO source_functions_6 (kernel_release, function, file, line, how, symbol)
    SELECT kernel_release, function, file, line, how, '' FROM source_functions;
DROP TABLE source_functions;
ALTER TABLE source_functions_6 RENAME TO source_functions;
