# "#define __NR_read 0" -> "{0, "read"},"
file(STRINGS ${IN} lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+")
set(body "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) ([0-9]+).*" "{\\2, \"\\1\"}," entry "${line}")
  string(APPEND body "${entry}\n")
endforeach()
file(WRITE ${OUT} "${body}")
