/* kvm-probe: can this host's /dev/kvm really run a guest? (scripts/lab/run)
 * The probe itself is common/kvm_probe.c, shared with hapctl.
 * Exit codes: 0 usable, 1 not usable (reason on stderr), 2 usage.
 * `kvm-probe --create-only` stops before KVM_RUN (safe on any host).
 * On a host whose KVM_RUN never returns (PVM, see MACHINE-NOTES.md) this
 * program hangs: run it only under `timeout -s KILL`.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_probe.h"

int main(int argc, char **argv) {
    int create_only = argc > 1 && strcmp(argv[1], "--create-only") == 0;
    if (argc > 1 && !create_only) {
        fprintf(stderr, "usage: kvm-probe [--create-only]\n");
        return 2;
    }
    char why[256];
    int rc = hap_kvm_probe(!create_only, why, sizeof why);
    fprintf(rc ? stderr : stdout, "kvm-probe: %s\n", why);
    return rc;
}
