// Who is on the other end of a hapd connection, and what hapd may do on their
// behalf. hapd runs as root; a member of group `hap` must not be able to use
// it to write where they could not write themselves.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "error.h"

namespace hap::hapd {

struct Peer {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups at connect time (SO_PEERGROUPS)
    std::string describe() const;
};

// SO_PEERCRED (+ SO_PEERGROUPS) of a connected Unix socket.
Expected<Peer> peer_of(int fd);

// gid of `name`, if such a group exists.
std::optional<gid_t> group_id(const std::string& name);

// Root, or a member of `hap_gid`: Status ok; else the reason, for the reply.
Status admit(const Peer& p, std::optional<gid_t> hap_gid, const std::string& group_name);

// For non-root peers: `path` (a file hapd will create or write) must sit in a
// directory the peer owns, and be, if it exists, the peer's own regular file.
Status peer_may_write(const Peer& p, const std::string& path, bool is_dir);

// Hands what hapd created for a non-root peer over to them (recursively for
// directories; symlinks are never followed).
void give_to_peer(const Peer& p, const std::string& path);

}  // namespace hap::hapd
