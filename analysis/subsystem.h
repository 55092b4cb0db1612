// A guess of the kernel subsystem a function or syscall belongs to, from its
// name alone (prefixes such as tcp_, ext4_, kvm_, vhost_). Only for grouping
// the output of `hapctl diff`; never used in a figure.
#pragma once

#include <string>

namespace hap {

// `kind` is the symbol kind ("function", "syscall", ...); names are normalised.
std::string guess_subsystem(const std::string& kind, const std::string& name);

}  // namespace hap
