# Each file in IN becomes {"NAME", R"hapsql(TEXT)hapsql"}, in list order: the
# migrations (schemas/) and the built-in workload files (runners/workloads/).
set(body "")
foreach(f IN LISTS IN)
  file(READ ${f} sql)
  get_filename_component(name ${f} NAME)
  string(APPEND body "{\"${name}\", R\"hapsql(${sql})hapsql\"},\n")
endforeach()
file(WRITE ${OUT} "${body}")
