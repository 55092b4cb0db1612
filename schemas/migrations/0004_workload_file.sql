-- hap store, schema version 4: the workload file each run came from.
-- A workload is a file (runners/workload_spec.h); the built-in ones are files
-- compiled into hapctl. `workload_origin` names it ("builtin:redis.toml" or
-- the file's absolute path at run time) and `workload_file` is its text as
-- measured, with the values of its secret environment entries replaced by
-- "<redacted>". NULL: a run stored before schema 4.
ALTER TABLE runs ADD COLUMN workload_origin TEXT;
ALTER TABLE runs ADD COLUMN workload_file TEXT;
