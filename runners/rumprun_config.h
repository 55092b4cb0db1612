// The configuration a rumprun unikernel reads at boot: one JSON string, the
// last argument of the solo5 tender (rumprun's rumprun-bake / rumpconfig.c
// parses it). runnc (llruntimes/nabla/runnc-cont/rumprun.go) writes it for
// Nabla containers; hap writes the same for the tender it runs itself, so a
// unikernel sees one configuration whichever way it was started.
//
// Shape, in runnc's key order:
//   {"env":"K=V","env":"K2=V2",          one "env" key per variable: rumprun
//                                         reads repeated keys, not an array
//    "cmdline":"/redis.nabla ARG...",    argv joined by blanks (argv[0] first)
//    "net":{"if":"ukvmif0","cloner":"True","type":"inet","method":"static",
//           "addr":"A.B.C.D","mask":"BITS","gw":"A.B.C.D"},
//    "blk":{"source":"etfs","path":"/dev/ld0a","fstype":"blk","mountpoint":"/"},
//    "cwd":"/"}
// runnc writes mask "1" for a /32 (its issue #40); hap never asks for /32.
#pragma once

#include <string>
#include <vector>

namespace hap {

struct RumprunConfig {
    std::vector<std::string> argv;  // argv[0] is the unikernel's path
    std::string addr, gw;           // IPv4 of the unikernel and its gateway
    int mask_bits = 24;
    bool root_disk = true;          // the tender's --disk mounted as / (etfs /dev/ld0a)
    std::vector<std::string> env;   // "K=V"
    std::string cwd = "/";
};

// The JSON text (compact, no newline). Strings are escaped as JSON requires.
std::string rumprun_json(const RumprunConfig& c);

}  // namespace hap
