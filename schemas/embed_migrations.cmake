# Each migration file becomes one raw string literal, in file-name order.
set(body "")
foreach(f IN LISTS IN)
  file(READ ${f} sql)
  get_filename_component(name ${f} NAME)
  string(APPEND body "{\"${name}\", R\"hapsql(${sql})hapsql\"},\n")
endforeach()
file(WRITE ${OUT} "${body}")
