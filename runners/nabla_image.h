// A Nabla container image as hap runs it: the image's root directory (what
// nabla-base-build's Dockerfiles put in it: /redis.nabla, /data/conf/...)
// and its process (ENTRYPOINT + CMD, Env, WorkingDir), or an image already
// in a Docker engine. runnc accepts only images whose process starts with a
// .nabla file (llruntimes/nabla/exec_handler.go): hap refuses the rest.
//
// `--nabla-image` takes, per workload (WORKLOAD=SPEC) or for all (SPEC):
//   DIR         the image root; its process from DIR/image-config.json, the
//               OCI image config's "config" object as `docker inspect
//               --format '{{json .Config}}'` prints it (Entrypoint, Cmd, Env,
//               WorkingDir), else the one *.nabla file at DIR's root
//   FILE.nabla  the unikernel; its directory is the image root
//   REF         (docker:runnc only) an image already in the engine
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "error.h"

namespace hap {

struct NablaProcess {
    std::vector<std::string> argv;  // argv[0]: the .nabla file, absolute in the image root
    std::vector<std::string> env;   // "K=V"
    std::string cwd = "/";
};

struct NablaImage {
    std::string spec;        // as the user gave it
    std::string root;        // image root directory; "" for an engine image
    std::string docker_ref;  // engine image; "" for a directory
    NablaProcess process;    // known for a directory

    // The unikernel on the host: root + argv[0]. "" for an engine image.
    std::string unikernel() const;
    // The hvt build of the same unikernel beside it (x.nabla -> x.hvt); ""
    // when the image has none.
    std::string hvt_unikernel() const;
};

// Parses image-config.json text. Errors name what is wrong (not JSON, no
// Entrypoint/Cmd, argv[0] not a .nabla file).
Expected<NablaProcess> parse_nabla_image_config(const std::string& text);

// One --nabla-image value as {workload, SPEC}: "redis=/srv/img" gives
// {"redis", "/srv/img"}; a value without a workload gives {"", value} (a
// workload name has no '/', so a path holding '=' is kept whole).
std::pair<std::string, std::string> split_nabla_image_value(const std::string& value);

// Picks the spec for `workload` from the --nabla-image values: an exact
// WORKLOAD=SPEC first, else the one without a workload; nullopt if neither.
std::optional<std::string> nabla_image_spec(const std::vector<std::string>& values, const std::string& workload);

// Resolves a spec to an image. An engine reference is accepted only when
// `engine` is true. Throws UserError naming the problem: no such path, no
// .nabla at the root (a generic container image), a missing unikernel.
NablaImage resolve_nabla_image(const std::string& spec, bool engine);

}  // namespace hap
