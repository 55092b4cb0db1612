#include "root_source.h"

#include <nlohmann/json.hpp>
#include <sys/utsname.h>

#include <iostream>

#include "files.h"
#include "image_store.h"
#include "process.h"

namespace hap {
namespace {

[[noreturn]] void fail(const WorkloadSpec& spec, const std::string& msg, const std::string& hint) {
    throw UserError(spec.origin + ":" + std::to_string(spec.root.line) + ": " + spec.root.field + ": " + msg, hint, kExitUsage);
}

// The local path an image reference reads: docker-archive:PATH, oci:DIR[:REF],
// oci-archive:PATH; "" for docker-daemon (the engine has it, or not).
std::string image_path(const std::string& ref) {
    const auto c = ref.find(':');
    const std::string transport = ref.substr(0, c);
    if (transport == "docker-daemon") return "";
    const std::string rest = ref.substr(c + 1);
    return rest.substr(0, rest.find(':'));
}

std::string sha256_hex(const Argv& argv, const std::optional<std::string>& input) {
    RunOptions o;
    o.timeout = std::chrono::minutes(10);
    o.stdin_data = input;
    auto r = run_command(argv, o);
    if (!r || !r->succeeded() || r->out.size() < 64) return "";
    return r->out.substr(0, 64);
}

}  // namespace

std::string host_image_architecture() {
    struct utsname u {};
    ::uname(&u);
    const std::string m = u.machine;
    if (m == "x86_64") return "amd64";
    if (m == "aarch64") return "arm64";
    if (m == "i686" || m == "i386") return "386";
    return m;
}

RootSourceFacts inspect_root_source(const WorkloadSpec& spec) {
    const RootSpec& root = spec.root;
    RootSourceFacts facts;
    if (root.kind == RootSpec::Kind::kDebianPackages) return facts;
    const std::string path = root.kind == RootSpec::Kind::kImage ? image_path(root.source) : root.source;
    if (!path.empty() && !path_exists(path)) fail(spec, path + " does not exist", "give a path to an existing " + root.field.substr(5));
    if (root.kind == RootSpec::Kind::kDirectory) {
        if (!path_exists(path + "/.")) fail(spec, path + " is not a directory", "give the directory that holds the root file system");
        return facts;
    }
    if (root.kind == RootSpec::Kind::kTarball) {
        facts.key = sha256_hex({"sha256sum", "--", path}, std::nullopt);
        if (facts.key.empty()) fail(spec, "cannot read " + path, "check its permissions");
        return facts;
    }
    if (!find_program("skopeo")) fail(spec, "an image root needs skopeo, which is not installed", "run scripts/setup");
    RunOptions o;
    o.timeout = std::chrono::minutes(5);
    // --config --raw: the image's config exactly as stored; its sha256 is the
    // config digest, which names the image in every transport.
    auto r = run_command({"skopeo", "--insecure-policy", "inspect", "--config", "--raw", root.source}, o);
    if (!r) fail(spec, "cannot run skopeo: " + r.error().describe(), "run scripts/setup");
    if (!r->succeeded())
        fail(spec, "cannot read image " + root.source + ": " + last_line(r->err.empty() ? r->out : r->err),
             "check the reference (docker-archive:PATH, oci:DIR[:REF], oci-archive:PATH, docker-daemon:NAME:TAG)");
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(r->out);
    } catch (const nlohmann::json::exception&) {
        fail(spec, "image " + root.source + " has a config that is not JSON", "rebuild or re-save the image");
    }
    facts.architecture = config.value("architecture", "");
    facts.os = config.value("os", "");
    if (facts.os != "linux")
        fail(spec, "image " + root.source + " is for os '" + facts.os + "', not linux", "give a linux image");
    if (facts.architecture != host_image_architecture())
        fail(spec, "image " + root.source + " is for " + facts.architecture + ", and this host runs " + host_image_architecture(),
             "give an image built for " + host_image_architecture());
    facts.key = sha256_hex({"sha256sum"}, r->out);
    if (facts.key.empty()) fail(spec, "cannot hash the config of image " + root.source, "is sha256sum (coreutils) installed?");
    return facts;
}

RootfsImage ensure_unpacked_root(const WorkloadSpec& spec, const RootSourceFacts& facts, const std::string& cache_dir) {
    const RootSpec& root = spec.root;
    const std::string kind = root.kind == RootSpec::Kind::kImage     ? "image"
                             : root.kind == RootSpec::Kind::kTarball ? "tarball"
                                                                     : "directory";
    RootfsImage img;
    // Images and tarballs: one directory per content key, shared by every
    // workload that names the same content. Directories: one per path, kept
    // current by the unpacker (it keys them by their listing).
    const std::string name = root.kind == RootSpec::Kind::kDirectory
                                 ? sha256_hex({"sha256sum"}, root.source).substr(0, 16)
                                 : facts.key.substr(0, 16);
    if (name.empty()) throw UserError("cannot name the cache directory of " + root.source, "is sha256sum (coreutils) installed?");
    img.dir = cache_dir + "/images/" + kind + "-" + name;
    const std::string script = scripts_dir() + "/image/unpack-root";
    if (!path_exists(script))
        throw UserError("root unpacker " + script + " not found", "set HAP_SCRIPTS_DIR to hap's scripts/ directory");
    if (auto st = make_dirs(cache_dir + "/images"); !st) throw UserError(st.error().describe());
    if (!path_exists(img.dir + "/key")) std::cerr << "hapctl: unpacking " << root.source << " (first time only)\n";
    RunOptions o;
    o.timeout = std::chrono::minutes(30);
    Argv argv = {script, kind, root.source, img.dir, facts.key.empty() ? "-" : facts.key};
    auto r = run_command(argv, o);
    if (!r) throw UserError("cannot run " + script + ": " + r.error().describe());
    if (!r->succeeded())
        throw UserError("unpacking " + root.source + " failed: " + r->summary(), "run " + join(argv, " ") + " to see the whole log");
    img.rootfs = img.dir + "/rootfs";
    img.tarball = img.dir + "/rootfs.tar";
    auto key = read_file(img.dir + "/key");
    img.key = key ? trim(*key) : "";
    img.reference = root.kind == RootSpec::Kind::kImage     ? "image:sha256:" + img.key
                    : root.kind == RootSpec::Kind::kTarball ? "tarball:sha256:" + img.key
                                                            : "directory:" + root.source + "@" + img.key.substr(0, 12);
    return img;
}

}  // namespace hap
