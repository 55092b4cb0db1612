// A workload file: one small TOML file that says what runs in the sandbox,
// how hap tells it is ready, what is done once before the load, and the load
// that exercises it. The built-in workloads are such files too
// (runners/workloads/*.toml, compiled into hapctl). Parsed with toml++
// (Debian's libtomlplusplus-dev), which gives each value's line; every error
// names the file, the line and the field, and nothing unknown is ignored.
// The format is described in runners/workloads/README.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "error.h"
#include "process.h"

namespace hap {

// How hap tells the service is ready (probed from the load side: the client
// network namespace, or loopback for native runs).
struct ReadyProbe {
    enum class Kind { kTcp, kHttp, kCommand, kRedisPing };
    Kind kind = Kind::kTcp;
    std::string http_path = "/";  // kHttp: GET of this path ...
    int http_status = 200;        // ... answering this status
    Argv command;                 // kCommand: exits 0 when ready (placeholders, below)
};

// A command run once the service is ready and before the load, on the load side.
struct SetupStep {
    Argv command;        // placeholders, below
    int timeout_s = 300; // then it is killed and the run fails
};

// The load. Either a driver hap provides, whose behaviour a pattern cannot
// express (redis-benchmark's adaptive rounds, wrk's error limits), or a
// command whose output holds the throughput.
struct LoadSpec {
    enum class Kind { kRedisBenchmark, kWrk, kCommand };
    Kind kind = Kind::kCommand;
    std::string http_path = "/";  // kWrk: what wrk GETs
    Argv command;                 // kCommand, with placeholders
    int concurrency = 8;          // {concurrency}
    std::string throughput_pattern;  // kCommand: ECMAScript regex, group 1 is the rate
    std::string unit;                // kCommand: e.g. "transactions/s"
};

// Where the root file system comes from: exactly one of
//   debian-packages  a Debian bookworm root hap builds (scripts/image/build-rootfs);
//   image            a skopeo reference: docker-archive:PATH (`docker save`),
//                    oci:DIR[:REF] (an OCI image layout), oci-archive:PATH, or
//                    docker-daemon:NAME:TAG (the local engine at $DOCKER_HOST);
//   tarball          a tar of a root file system;
//   directory        a root file system in a directory.
// Images, tarballs and directories are unpacked once per content key into
// hap's cache (scripts/image/unpack-root) and used read-only from there.
struct RootSpec {
    enum class Kind { kDebianPackages, kImage, kTarball, kDirectory };
    Kind kind = Kind::kDebianPackages;
    std::vector<std::string> debian_packages;  // kDebianPackages; "apt:NAME" = installed by apt-get in the new root
    std::string source;   // kImage: the reference, its path made absolute; else the absolute path
    std::string field;    // "root.image", "root.tarball", ... : named in errors about the source
    int line = 0;         // the source's line in the file, for those errors
};
struct WorkloadSpec {
    std::string name;         // [a-z0-9][a-z0-9_.-]*
    std::string description;
    std::string origin;       // "builtin:redis" or the file's absolute path
    std::string text;         // the file as read (secret values still in it)
    RootSpec root;
    Argv command;             // inside the sandbox; argv[0] absolute
    int port = 0;
    std::vector<std::string> scratch;                 // absolute paths, tmpfs on the read-only root
    std::vector<std::pair<std::string, std::string>> env;  // in file order
    std::vector<std::string> secret_env;             // names in env whose values are never stored
    std::string user;                                // "UID:GID" or a user name; "" = root (0:0)
    std::string workdir;                             // "" = "/"
    ReadyProbe ready;
    std::vector<SetupStep> setup;
    LoadSpec load;
    std::map<std::string, std::string> refuse;       // runtime -> why this workload cannot run there

    // The host programs the load side runs (readiness, setup, load).
    std::vector<std::string> host_tools() const;
    // Of those, the ones hap's own probes and drivers run (redis-cli,
    // redis-benchmark, wrk): checked before anything starts. A program the
    // file names itself that is missing fails its run, stored with the reason.
    std::vector<std::string> driver_tools() const;
    // The file's text with every secret_env value replaced by "<redacted>":
    // what the store keeps.
    std::string redacted_text() const;
};

// Parses and validates a workload file's text. `origin` names it in errors.
// Throws UserError (exit 2) "ORIGIN:LINE: FIELD: what is wrong" on a syntax
// error, an unknown key, a missing required field, a wrong type, a bad value
// or a throughput pattern that does not compile.
WorkloadSpec parse_workload_spec(const std::string& text, const std::string& origin);

// Reads and parses the file at `path` (errors as above; an unreadable file too).
WorkloadSpec load_workload_file(const std::string& path);

// The uid and gid of service.user as the root at `root_dir` knows it ("/"
// for the host): "UID:GID" as written, or NAME looked up in
// ROOT/etc/passwd (its primary group). Throws UserError when the name is
// not there or the file cannot be read.
std::pair<uint32_t, uint32_t> resolve_user(const std::string& user, const std::string& root_dir);

// Replaces {address}, {port}, {duration} (whole seconds) and {concurrency} in
// each argument. The names are checked at parse time: none other is allowed.
Argv expand_placeholders(const Argv& argv, const std::string& address, int port, long duration_s, int concurrency);

}  // namespace hap
