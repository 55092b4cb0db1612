// Whether KVM guests really run here, decided without ever hanging hapctl:
// a PVM-based KVM is never probed, elsewhere the probe runs in a child that
// is killed after a timeout (MACHINE-NOTES.md: KVM_RUN can spin forever).
#pragma once

#include <string>

namespace hap {

struct KvmVerdict {
    bool usable = false;
    std::string why;
};

KvmVerdict kvm_guests_usable();  // cached after the first call

}  // namespace hap
