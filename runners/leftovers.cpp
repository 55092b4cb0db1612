#include "leftovers.h"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <thread>

#include "files.h"
#include "kata_runner.h"
#include "nabla_runner.h"
#include "oci_runner.h"
#include "private_dockerd.h"
#include "process.h"
#include "procfs.h"
#include "vm_runner.h"

namespace hap {
namespace {

bool owner_dead(int owner) { return owner > 0 && owner != ::getpid() && !process_alive(owner); }

void kill_tree(pid_t pid) {
    for (pid_t d : descendants(pid)) ::kill(d, SIGKILL);
    ::kill(pid, SIGKILL);
}

// Processes whose command line mentions `needle` (a directory only hap uses).
std::vector<pid_t> processes_mentioning(const std::string& needle) {
    std::vector<pid_t> out;
    for (pid_t p : all_pids())
        if (p != ::getpid() && task_cmdline(p).find(needle) != std::string::npos) out.push_back(p);
    return out;
}

// Mounts at or below `dir` (dockerd leaves netns bind mounts), deepest first.
void unmount_below(const std::string& dir) {
    auto mounts = read_file("/proc/self/mounts");
    if (!mounts) return;
    std::vector<std::string> points;
    for (const auto& line : split(*mounts, '\n')) {
        auto f = split(line, ' ');
        if (f.size() > 1 && (f[1] == dir || f[1].rfind(dir + "/", 0) == 0)) points.push_back(f[1]);
    }
    std::sort(points.begin(), points.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& p : points) ::umount2(p.c_str(), MNT_DETACH);
}

}  // namespace

int kill_processes_mentioning(const std::string& needle, std::chrono::milliseconds grace) {
    if (needle.empty()) return 0;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    auto pids = processes_mentioning(needle);
    while (!pids.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        pids = processes_mentioning(needle);
    }
    for (pid_t p : pids) kill_tree(p);
    return static_cast<int>(pids.size());
}

void remove_private_dockerd_dir(const std::string& dir) {
    (void)kill_processes_mentioning(dir);
    unmount_below(dir);
    (void)run_command({"rm", "-rf", "--one-file-system", dir});
}

int owner_pid_of(const std::string& name) {
    static const std::regex pat(R"(^(?:hap-|hap|dockerd-)(\d+)(?:[-cw]\d+)?$)");
    std::smatch m;
    if (!std::regex_match(name, m, pat)) return 0;
    try {
        return std::stoi(m[1].str());
    } catch (...) {
        return 0;
    }
}

std::vector<std::string> clean_runner_leftovers(const std::string& state_dir) {
    std::vector<std::string> done;

    // OCI containers: each has its own --root, so the runtime that made it
    // can be asked to remove it, and any survivor is found by command line.
    const std::string oci = oci_state_root(state_dir);
    for (const auto& id : list_dir(oci)) {
        if (!owner_dead(owner_pid_of(id))) continue;
        const std::string root = oci + "/" + id + "/root";
        for (const char* rt : {"runc", "crun", "runsc"}) {
            if (!find_program(rt)) continue;
            RunOptions o;
            o.timeout = std::chrono::seconds(30);
            (void)run_command({rt, "--root", root, "kill", id, "KILL"}, o);
            (void)run_command({rt, "--root", root, "delete", "--force", id}, o);
        }
        for (pid_t p : processes_mentioning(root)) kill_tree(p);
        (void)run_command({"rm", "-rf", "--one-file-system", oci + "/" + id});
        done.push_back("removed container " + id + " left by a dead hapctl");
    }

    // Private dockerds: stop the daemon, then anything that still names its
    // directory (containerd, shims), then the directory.
    for (const auto& name : list_dir(state_dir)) {
        if (name.rfind("dockerd-", 0) != 0 || !owner_dead(owner_pid_of(name))) continue;
        const std::string dir = state_dir + "/" + name;
        auto pidtext = read_file(dir + "/dockerd.pid");
        if (pidtext) {
            pid_t d = std::atoi(trim(*pidtext).c_str());
            if (d > 0 && task_cmdline(d).find(dir) != std::string::npos) {
                ::kill(d, SIGTERM);
                for (int i = 0; i < 150 && process_alive(d); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (process_alive(d)) ::kill(d, SIGKILL);
            }
        }
        remove_private_dockerd_dir(dir);
        done.push_back("stopped private dockerd " + name + " left by a dead hapctl");
    }

    // VM sandboxes: QEMU and virtiofsd name their sandbox directory (console,
    // sockets), so they are found by it even after PDEATHSIG missed them.
    const std::string vms = vm_state_root(state_dir);
    for (const auto& id : list_dir(vms)) {
        if (!owner_dead(owner_pid_of(id))) continue;
        for (pid_t p : processes_mentioning(vms + "/" + id)) kill_tree(p);
        (void)run_command({"rm", "-rf", "--one-file-system", vms + "/" + id});
        done.push_back("removed VM sandbox " + id + " left by a dead hapctl");
    }

    // Nabla sandboxes: runnc's state (its --root) and the tender's ISO live
    // in the sandbox directory, so runnc can be asked to delete the
    // container and any tender left is found by its command line.
    const std::string nablas = nabla_state_root(state_dir);
    for (const auto& id : list_dir(nablas)) {
        if (!owner_dead(owner_pid_of(id))) continue;
        remove_nabla_sandbox(nablas + "/" + id, id);
        done.push_back("removed Nabla sandbox " + id + " left by a dead hapctl");
    }

    // Kata sandboxes: containers hap-<pid>-<n> in containerd's "hap"
    // namespace. Deleting them stops the shim and its VMM; a VMM that
    // outlived the delete (Firecracker under the jailer) names the id.
    if (const KataInstall k = find_kata_install("qemu"); !k.ctr.empty() && !k.containerd.empty()) {
        RunOptions o;
        o.timeout = std::chrono::seconds(60);
        auto list = run_command(kata_ctr(k, {"containers", "list", "--quiet"}), o);
        for (const auto& id : list && list->succeeded() ? split(trim(list->out), '\n') : std::vector<std::string>{}) {
            if (id.rfind("hap-", 0) != 0 || !owner_dead(owner_pid_of(id))) continue;
            delete_kata_container(k, id);
            (void)kill_processes_mentioning(id);  // a VMM that outlived the delete
            done.push_back("removed Kata sandbox " + id + " left by a dead hapctl");
        }
    }

    // Network namespaces hap<pid>c<n> / hap<pid>w<n> (a VM's tap goes with its namespace).
    auto ns = run_command({"ip", "netns", "list"});
    if (ns && ns->succeeded()) {
        for (const auto& line : split(ns->out, '\n')) {
            std::string name = trim(line.substr(0, line.find(' ')));
            if (name.empty() || !owner_dead(owner_pid_of(name))) continue;
            if (run_command({"ip", "netns", "del", name}).ok()) done.push_back("removed network namespace " + name);
        }
    }
    return done;
}

}  // namespace hap
