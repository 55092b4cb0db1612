#include "peer.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>

namespace hap::hapd {

std::string Peer::describe() const {
    return "pid " + std::to_string(pid) + " uid " + std::to_string(uid) + " gid " + std::to_string(gid);
}

Expected<Peer> peer_of(int fd) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return errno_error("SO_PEERCRED");
    Peer p{cred.pid, cred.uid, cred.gid, {}};
    std::vector<gid_t> groups(64);
    for (int attempt = 0; attempt < 3; ++attempt) {
        socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
            groups.resize(glen / sizeof(gid_t));
            p.groups = groups;
            break;
        }
        if (errno != ERANGE) break;  // older kernel: primary gid only
        groups.resize(glen / sizeof(gid_t) + 1);
    }
    return p;
}

std::optional<gid_t> group_id(const std::string& name) {
    struct group g {};
    struct group* out = nullptr;
    std::vector<char> buf(16384);
    if (::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &out) != 0 || !out) return std::nullopt;
    return out->gr_gid;
}

Status admit(const Peer& p, std::optional<gid_t> hap_gid, const std::string& group_name) {
    if (p.uid == 0) return {};
    if (!hap_gid) return Error{"permission denied: only root may use hapd on this host (there is no group " + group_name + ")"};
    if (p.gid == *hap_gid || std::find(p.groups.begin(), p.groups.end(), *hap_gid) != p.groups.end()) return {};
    return Error{"permission denied: uid " + std::to_string(p.uid) + " is neither root nor in group " + group_name};
}

Status peer_may_write(const Peer& p, const std::string& path, bool is_dir) {
    if (p.uid == 0) return {};
    const std::string parent = std::filesystem::path(path).parent_path().string();
    char real[PATH_MAX];
    if (!::realpath(parent.empty() ? "/" : parent.c_str(), real)) return errno_error("cannot resolve " + parent);
    struct stat st {};
    if (::stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) return Error{parent + " is not a directory"};
    if (st.st_uid != p.uid)
        return Error{"permission denied: " + parent + " does not belong to uid " + std::to_string(p.uid) +
                     " (through hapd, runs are written only into your own directories)"};
    // The file itself and, for a database, SQLite's companions next to it.
    std::vector<std::string> names{path};
    if (!is_dir)
        for (const char* s : {"-wal", "-shm", "-journal"}) names.push_back(path + s);
    for (const auto& n : names) {
        if (::lstat(n.c_str(), &st) != 0) continue;  // absent: hapd creates it and hands it over
        const bool kind_ok = is_dir && n == path ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
        if (!kind_ok || st.st_uid != p.uid)
            return Error{"permission denied: " + n + " is not your own " + (is_dir && n == path ? "directory" : "file")};
    }
    return {};
}

void give_to_peer(const Peer& p, const std::string& path) {
    if (p.uid == 0) return;
    std::error_code ec;
    auto own = [&](const std::string& n) { (void)::lchown(n.c_str(), p.uid, p.gid); };
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return;
    own(path);
    if (!S_ISDIR(st.st_mode)) {
        for (const char* s : {"-wal", "-shm", "-journal"})
            if (::lstat((path + s).c_str(), &st) == 0 && S_ISREG(st.st_mode)) own(path + s);
        return;
    }
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        own(it->path().string());
}

}  // namespace hap::hapd
