#include "vm_guest.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cstdlib>

#include "files.h"
#include "image_store.h"

namespace hap {
namespace {

// Runs one of scripts/vm/*: prints a path on stdout, or fails saying why.
std::string run_builder(const std::string& name, const Argv& args, const std::string& what) {
    const std::string script = scripts_dir() + "/vm/" + name;
    if (!path_exists(script))
        throw UserError("guest builder " + script + " not found", "set HAP_SCRIPTS_DIR to hap's scripts/ directory");
    Argv argv = {script};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o;
    o.timeout = std::chrono::minutes(10);
    auto r = run_command(argv, o);
    if (!r) throw UserError("cannot run " + script + ": " + r.error().describe());
    if (!r->succeeded()) {
        // The builder's own lines are "build-...: reason" and "hint: ...".
        std::string reason = r->summary(), hint = "run " + argv_to_string(argv) + " to see why";
        for (const auto& line : split(trim(r->err), '\n')) {
            if (line.rfind("hint: ", 0) == 0) hint = line.substr(6);
            else if (auto c = line.find(": "); c != std::string::npos && line.rfind(name, 0) == 0) reason = line.substr(c + 2);
        }
        throw UserError(what + " failed: " + reason, hint);
    }
    const std::string path = last_line(r->out);
    if (path.empty() || !path_exists(path)) throw UserError(what + ": " + script + " printed no file", "run it by hand");
    return path;
}

std::string single_quoted(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += "'\\''";
        else q += c;
    }
    return q + "'";
}

}  // namespace

GuestKernel find_guest_kernel(const std::string& requested) {
    std::string path = requested;
    if (path.empty())
        if (const char* e = std::getenv("HAP_VM_KERNEL"); e && *e) path = e;
    if (path.empty()) {
        struct utsname u {};
        ::uname(&u);
        const std::string own = std::string("/boot/vmlinuz-") + u.release;
        if (path_exists(own)) {
            path = own;
        } else {
            std::vector<std::string> found;
            for (const auto& n : list_dir("/boot"))
                if (n.rfind("vmlinuz-", 0) == 0) found.push_back(n);
            std::sort(found.begin(), found.end());
            if (found.empty())
                throw UserError("no guest kernel: no /boot/vmlinuz-* on this host",
                                "give one with --guest-kernel PATH/vmlinuz-VERSION (e.g. from a linux-image .deb, "
                                "unpacked with dpkg-deb -x) or $HAP_VM_KERNEL");
            path = "/boot/" + found.back();
        }
    }
    if (!path_exists(path))
        throw UserError("guest kernel " + path + " not found", "give an existing vmlinuz-VERSION with --guest-kernel");
    const std::string base = path.substr(path.rfind('/') + 1);
    if (base.rfind("vmlinuz-", 0) != 0 || base.size() == 8)
        throw UserError("guest kernel " + path + " is not named vmlinuz-VERSION",
                        "the version names the modules its initramfs takes (lib/modules/VERSION)");
    return GuestKernel{path, base.substr(8)};
}

std::string ensure_guest_initramfs(const GuestKernel& kernel, const std::string& cache_dir) {
    return run_builder("build-initramfs", {kernel.vmlinuz, cache_dir + "/vm"}, "building the guest initramfs for " + kernel.release);
}

std::string ensure_guest_block_image(const RootfsImage& image, const std::string& cache_dir) {
    return run_builder("build-block-image", {image.dir, cache_dir + "/vm"}, "building the guest's root disk image");
}

std::string guest_job_script(const GuestProcess& process) {
    std::string s = "# written by hapctl (runners/vm_guest.cpp)\n"
                    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root\n";
    if (process.is_default()) {
        s += "exec chroot /newroot";
        for (const auto& a : process.command) s += " " + single_quoted(a);
        return s + "\n";
    }
    const std::string ids = std::to_string(process.uid) + ":" + std::to_string(process.gid);
    // The root is read-only and may have no busybox; /run is the guest's tmpfs.
    s += "mkdir -p /newroot/run/hap && cp /bin/busybox /newroot/run/hap/busybox || exit 1\n";
    for (const auto& d : process.scratch) s += "chown " + ids + " " + single_quoted("/newroot" + d) + " || exit 1\n";
    // start-stop-daemon starts nothing when a process matches every
    // condition given, and with -x alone it matches itself (it is
    // /run/hap/busybox too: "already running", exit 1); -n names a process
    // that never runs. argv[0] "busybox" (-a) makes busybox take the applet
    // from argv[1].
    s += "exec chroot /newroot /run/hap/busybox start-stop-daemon -S -n hap-matches-none -c " + ids +
         " -x /run/hap/busybox -a busybox -- env";
    for (const auto& e : process.env) s += " " + single_quoted(e);
    s += " /run/hap/busybox sh -c 'cd \"$1\" || exit 1; shift; exec \"$@\"' sh " +
         single_quoted(process.workdir.empty() ? "/" : process.workdir);
    for (const auto& a : process.command) s += " " + single_quoted(a);
    return s + "\n";
}

void write_guest_initrd(const std::string& base, const std::string& address_cidr, const GuestProcess& process,
                        const std::string& work_dir, const std::string& out) {
    const std::vector<std::string>& scratch = process.scratch;
    const std::string job = work_dir + "/job";
    if (auto st = make_dirs(job); !st) throw UserError(st.error().describe());
    std::string scratch_line;
    for (const auto& d : scratch) scratch_line += (scratch_line.empty() ? "" : " ") + d;
    for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
             {"address", address_cidr + "\n"}, {"scratch", scratch_line + "\n"}, {"run", guest_job_script(process)}})
        if (auto st = write_file(job + "/" + name, text); !st) throw UserError(st.error().describe());

    RunOptions o;
    o.stdin_data = "job\njob/address\njob/scratch\njob/run\n";
    auto cpio = run_command({"cpio", "--quiet", "-o", "-H", "newc", "-D", work_dir}, o);
    if (!cpio) throw UserError("cannot run cpio: " + cpio.error().describe(), "apt-get install cpio");
    if (!cpio->succeeded()) throw UserError("cpio of the guest job failed: " + cpio->summary());

    auto first = read_file(base);
    if (!first) throw UserError("cannot read the guest initramfs: " + first.error().describe());
    std::string data = std::move(*first);
    data.append((4 - data.size() % 4) % 4, '\0');  // the next archive starts 4-byte aligned
    data += cpio->out;
    if (auto st = write_file(out, data); !st) throw UserError(st.error().describe());
}

}  // namespace hap
