-- hap store, schema version 3: the workload's throughput without the tracer.
-- `throughput` is what the load generator saw while the run was traced, so it
-- measures the tracer as much as the runtime (function_graph slows a workload
-- several times). After the traced run, `measure` starts a fresh sandbox of
-- the same cell and runs the same load for the same time untraced; its figure
-- is stored here, in the unit of `throughput_unit`. NULL: not measured (older
-- runs, --no-untraced, or the untraced run failed: settings.untraced says why).
ALTER TABLE runs ADD COLUMN throughput_untraced REAL;
