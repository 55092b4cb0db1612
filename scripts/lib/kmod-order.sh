# Sourced: the load order of kernel modules for an initramfs, depth-first over
# modinfo's `depends` and `softdep pre:`, each module after its dependencies.
# Used by the lab's initramfs (scripts/lab/run) and the vm runtime's guest
# initramfs (scripts/vm/build-initramfs). The caller defines die().
#
#   kmod_order MODS_DIR NAME...   sets kmod_load_order (names, '-' as '_') and
#                                 kmod_path[name] (the .ko* file of each)
# A NAME that is built in (modules.builtin) is skipped; one that is neither a
# module nor built in is an error, except for a softdep that names an alias.
kmod_order() {
  local mods=$1 f n
  shift
  declare -gA kmod_path=() kmod_seen_=()
  kmod_load_order=()
  while IFS= read -r f; do
    n=${f##*/}; n=${n%%.ko*}; kmod_path[${n//-/_}]=$f
  done < <(find "$mods/kernel" -name '*.ko*')
  for n in "$@"; do kmod_add_ "$mods" "$n"; done
}
kmod_add_() { # mods name [soft]
  local mods=$1 n=${2//-/_} d f
  [ -n "${kmod_seen_[$n]+x}" ] && return 0
  kmod_seen_[$n]=1
  f=${kmod_path[$n]:-}
  [ -n "$f" ] || [ "${3:-}" != soft ] || return 0
  if [ -z "$f" ]; then
    grep -q "/${2}.ko" "$mods/modules.builtin" 2>/dev/null || grep -q "/${n}.ko" "$mods/modules.builtin" 2>/dev/null ||
      die "kernel $(basename -- "$mods") has no module $2 (and it is not built in)" "is $mods the kernel's complete module tree?"
    return 0
  fi
  for d in $(modinfo -F softdep "$f" | sed -n 's/.*pre: *//p' | sed 's/ post:.*//'); do kmod_add_ "$mods" "$d" soft; done
  for d in $(modinfo -F depends "$f" | tr ',' ' '); do kmod_add_ "$mods" "$d"; done
  kmod_load_order+=("$n")
}
# Copies the ordered modules into DIR as NAME.ko (decompressed: busybox insmod
# takes plain ELF) and writes DIR/../modules.order.
kmod_copy() { # dir
  local dir=$1 n f
  mkdir -p "$dir"
  for n in "${kmod_load_order[@]}"; do
    f=${kmod_path[$n]}
    case "$f" in
      *.ko) cp "$f" "$dir/$n.ko" ;;
      *.ko.xz) xz -dc "$f" >"$dir/$n.ko" ;;
      *.ko.zst) zstd -qdc "$f" >"$dir/$n.ko" ;;
      *.ko.gz) gzip -dc "$f" >"$dir/$n.ko" ;;
    esac
  done
}
