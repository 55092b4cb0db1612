// Nabla on what the real one did: process trees recorded with `hapctl
// snapshot` while hapctl measured a real Nabla redis (rumprun unikernel,
// solo5 spt tender `nabla-run`, runnc) on the development host, three ways
// (tests/fixtures/trees/host-6.18-{nabla-spt,nabla-runnc,docker-runnc}.json),
// and a capture of the spt tender under load (nabla-spt-redis-6.18.tar.xz).
// tests/fixtures/README.md says how each was made.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

#include "binary_origin.h"
#include "error.h"
#include "nabla_image.h"
#include "nabla_runner.h"
#include "process_snapshot.h"
#include "replay_fixture.h"
#include "rumprun_config.h"
#include "vm_discovery.h"

using namespace hap;
namespace fs = std::filesystem;

namespace {

ProcessSnapshot tree(const std::string& name) {
    auto s = load_snapshot(std::string(HAP_FIXTURES) + "/trees/host-6.18-" + name + ".json");
    REQUIRE(s.ok());
    return *s;
}

// The one solo5 tender in a recorded tree.
const SnapProcess& tender(const ProcessSnapshot& s) {
    const SnapProcess* found = nullptr;
    for (const auto& p : s.processes)
        if (p.comm == "nabla-run") {
            REQUIRE(found == nullptr);
            found = &p;
        }
    REQUIRE(found);
    return *found;
}

// A scratch directory, removed at scope exit.
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("hap-nabla-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    void write(const std::string& rel, const std::string& text) const {
        fs::create_directories((path / rel).parent_path());
        std::ofstream(path / rel) << text;
    }
    std::string str() const { return path.string(); }
    static inline int n = 0;
};

}  // namespace

TEST_CASE("hap's rumprun config is byte for byte the one runnc gave the real unikernel", "[nabla]") {
    // runnc's tender argv ends with the JSON; rebuild it from its parts.
    for (const char* name : {"nabla-runnc", "docker-runnc"}) {
        INFO(name);
        auto s = tree(name);
        const auto& argv = tender(s).cmdline;
        REQUIRE(argv.size() == 7);
        const auto recorded = nlohmann::json::parse(argv.back());  // as nlohmann sees it: the last "env" wins
        RumprunConfig c;
        c.argv = {argv[5], "/data/conf/redis.conf"};  // the unikernel's host path, then the image's Cmd
        c.addr = recorded["net"]["addr"];
        c.gw = recorded["net"]["gw"];
        c.mask_bits = std::stoi(recorded["net"]["mask"].get<std::string>());
        // The env keys repeat: take them from the text itself, in order.
        const std::string& text = argv.back();
        for (size_t at = text.find("\"env\":\""); at != std::string::npos; at = text.find("\"env\":\"", at + 1)) {
            const size_t from = at + 7;
            c.env.push_back(text.substr(from, text.find('"', from) - from));
        }
        REQUIRE(c.env.size() == 2);
        c.cwd = "/";
        CHECK(rumprun_json(c) == text);
    }
}

TEST_CASE("the spt tender hap runs gets runnc's flags, in runnc's order", "[nabla]") {
    const auto by_runnc = tender(tree("nabla-runnc")).cmdline;
    const auto by_hap = tender(tree("nabla-spt")).cmdline;
    REQUIRE(by_runnc.size() == by_hap.size());
    auto flag = [](const std::string& a) { return a.substr(0, a.find('=') + 1); };
    for (size_t i = 1; i + 2 < by_runnc.size(); ++i) CHECK(flag(by_hap[i]) == flag(by_runnc[i]));
    CHECK(by_hap[1] == "--x-exec-heap");  // solo5 0.4's spelling, which the tender Nabla pins accepts
    CHECK(by_hap[2] == "--mem=512");
    CHECK(by_hap[3].rfind("--net=", 0) == 0);  // not 0.6's --net:NAME=TAP
    // Under hap the unikernel's JSON config has no env (the image sets none) and the same net, blk and cwd.
    const auto j = nlohmann::json::parse(by_hap.back());
    const auto r = nlohmann::json::parse(by_runnc.back());
    CHECK(j["net"] == r["net"]);
    CHECK(j["blk"] == r["blk"]);
    CHECK(j["cwd"] == r["cwd"]);
    CHECK(!j.contains("env"));
}

TEST_CASE("discovery finds the real spt tender and gives it the workload role", "[nabla][discovery]") {
    for (const char* name : {"nabla-spt", "nabla-runnc", "docker-runnc"}) {
        INFO(name);
        auto s = tree(name);
        const auto vmms = find_vmms(s);
        REQUIRE(vmms.size() == 1);  // the shims of docker-runnc are not VMMs
        CHECK(vmms[0].kind == VmmKind::Solo5Spt);
        CHECK(vmms[0].pid == tender(s).pid);
        const auto view = discover_sandbox(s, vmms[0].pid);
        // One thread: the unikernel and its I/O are one host task.
        CHECK(view.tids_with_role("workload") == std::vector<pid_t>{tender(s).pid});
        // Its parent, when it is a shim (Docker's runc shim), works for it: runtime.
        for (const auto& t : view.tasks)
            if (t.tid != tender(s).pid) {
                CHECK(t.role == "runtime");
                CHECK(t.tgid == view.shim_pid);
            }
    }
    // Under runnc the tender is what runnc's init exec'd: reparented to 1
    // once `runnc create` exited. Under Docker its parent is the runc shim.
    CHECK(tender(tree("nabla-runnc")).ppid == 1);
    auto d = tree("docker-runnc");
    const auto* parent = d.find(tender(d).ppid);
    REQUIRE(parent);
    CHECK(parent->comm == "containerd-shim");
}

TEST_CASE("the spt tender's steady state under redis load is four syscalls, all the workload's", "[nabla][capture]") {
    auto r = test::replay_capture(std::string(HAP_UNPACKED_FIXTURES) + "/nabla-spt-redis-6.18");
    std::map<Role, std::set<std::string>> sys;
    for (const auto& h : r->agg.hits([](uint64_t) { return std::string(); }))
        if (h.kind == SymbolKind::Syscall) sys[h.role].insert(h.name);
    REQUIRE(sys.size() == 1);
    REQUIRE(sys.count(Role::Workload));
    // solo5 spt: clock_gettime for time, ppoll to wait for the tap, read and
    // write on the tap's fd; the block device (pread64/pwrite64) is not touched
    // once redis is up with no persistence.
    CHECK(sys[Role::Workload] == std::set<std::string>{"clock_gettime", "ppoll", "read", "write"});
    CHECK(r->src->meta()["events"].get<long>() > 100000);
}

TEST_CASE("image-config.json gives the process; docker inspect's Config is accepted", "[nabla][image]") {
    auto p = parse_nabla_image_config(R"({"Entrypoint":["/redis.nabla"],"Cmd":["/data/conf/redis.conf"],"Env":null,"WorkingDir":""})");
    REQUIRE(p.ok());
    CHECK(p->argv == std::vector<std::string>{"/redis.nabla", "/data/conf/redis.conf"});
    CHECK(p->env.empty());
    CHECK(p->cwd == "/");
    auto wrapped = parse_nabla_image_config(R"({"Config":{"Entrypoint":["redis.nabla"],"Env":["A=1"],"WorkingDir":"/data"}})");
    REQUIRE(wrapped.ok());
    CHECK(wrapped->argv == std::vector<std::string>{"/redis.nabla"});  // runnc joins argv[0] to the root
    CHECK(wrapped->env == std::vector<std::string>{"A=1"});
    CHECK(wrapped->cwd == "/data");
    CHECK_FALSE(parse_nabla_image_config("not json").ok());
    CHECK_FALSE(parse_nabla_image_config(R"({"Env":["A=1"]})").ok());
    CHECK_FALSE(parse_nabla_image_config(R"({"Cmd":"redis.nabla"})").ok());
    auto generic = parse_nabla_image_config(R"({"Entrypoint":["/usr/bin/redis-server"]})");
    REQUIRE_FALSE(generic.ok());
    CHECK(generic.error().message.find("not a .nabla unikernel") != std::string::npos);
}

TEST_CASE("--nabla-image picks WORKLOAD=SPEC first, then the bare SPEC", "[nabla][image]") {
    const std::vector<std::string> v = {"/srv/any", "redis=/srv/redis", "nginx=/srv/a=b"};
    CHECK(nabla_image_spec(v, "redis") == std::optional<std::string>("/srv/redis"));
    CHECK(nabla_image_spec(v, "nginx") == std::optional<std::string>("/srv/a=b"));
    CHECK(nabla_image_spec(v, "node") == std::optional<std::string>("/srv/any"));
    CHECK(nabla_image_spec({"/srv/x=y"}, "redis") == std::optional<std::string>("/srv/x=y"));  // a path with '='
    CHECK_FALSE(nabla_image_spec({"redis=/srv/redis"}, "node").has_value());
}

TEST_CASE("a Nabla image resolves from its root, its unikernel, or an engine reference", "[nabla][image]") {
    TempDir d;
    d.write("redis.nabla", "x");
    d.write("redis.hvt", "x");
    d.write("data/conf/redis.conf", "port 6379\n");
    d.write("image-config.json", R"({"Entrypoint":["/redis.nabla"],"Cmd":["/data/conf/redis.conf"]})");
    auto img = resolve_nabla_image(d.str(), false);
    CHECK(img.root == d.str());
    CHECK(img.unikernel() == d.str() + "/redis.nabla");
    CHECK(img.hvt_unikernel() == d.str() + "/redis.hvt");
    CHECK(img.process.argv.size() == 2);
    // The unikernel file: its directory is the root, and the config still applies.
    auto byfile = resolve_nabla_image(d.str() + "/redis.nabla", false);
    CHECK(byfile.root == d.str());
    CHECK(byfile.process.argv == img.process.argv);
    // An engine image only where an engine runs it.
    CHECK(resolve_nabla_image("hap/nabla-redis:1", true).docker_ref == "hap/nabla-redis:1");
    CHECK_THROWS_AS(resolve_nabla_image("hap/nabla-redis:1", false), UserError);
}

TEST_CASE("what is not a Nabla image is refused in one line that says why", "[nabla][image]") {
    TempDir generic;  // a plain container root: no unikernel
    generic.write("usr/bin/redis-server", "x");
    CHECK_THROWS_WITH(resolve_nabla_image(generic.str(), false), Catch::Contains("no *.nabla unikernel"));
    TempDir two;
    two.write("a.nabla", "x");
    two.write("b.nabla", "x");
    CHECK_THROWS_WITH(resolve_nabla_image(two.str(), false), Catch::Contains("several unikernels"));
    TempDir missing;  // a config naming a unikernel that is not there
    missing.write("image-config.json", R"({"Entrypoint":["/redis.nabla"]})");
    CHECK_THROWS_WITH(resolve_nabla_image(missing.str(), false), Catch::Contains("which is not in it"));
    TempDir plain;
    plain.write("redis-server", "x");
    CHECK_THROWS_WITH(resolve_nabla_image(plain.str() + "/redis-server", false), Catch::Contains("not a Nabla unikernel"));
    CHECK_THROWS_WITH(resolve_nabla_image("/nonexistent/hap-nabla", true), Catch::Contains("no such file"));
    TempDir nohvt;
    nohvt.write("redis.nabla", "x");
    CHECK(resolve_nabla_image(nohvt.str(), false).hvt_unikernel().empty());
}

TEST_CASE("runnc container ids are long enough for runnc's tap names", "[nabla]") {
    // runnc names its tap "tap" + the id's first 12 characters and panics on shorter ids.
    CHECK(nabla_container_id(42, 300) == "hap-42-00300");
    CHECK(nabla_container_id(6635, 300) == "hap-6635-300");
    CHECK(nabla_container_id(123456, 301) == "hap-123456-301");
    for (int pid : {1, 42, 6635, 4194304}) CHECK(nabla_container_id(pid, 300).size() >= 12);
    // What the real runnc made of hap's id (tree nabla-runnc): tap + the id.
    auto s = tree("nabla-runnc");
    const auto& argv = tender(s).cmdline;
    CHECK(argv[3].rfind("--net=taphap-", 0) == 0);
    CHECK(nabla_state_root("/run/hap") == "/run/hap/nabla");
}

TEST_CASE("a binary's origin comes from the lab's install manifest, by exact path", "[nabla][origin]") {
    const std::string tsv =
        "/opt/runnc/bin/runnc\t5391784\tab12\tlab --install vm:/work/ext/nabla/lab-install\n"
        "/opt/runnc/bin/nabla-run\t62752\tcd34\tlab --install vm:/work/ext/nabla/lab-install\n";
    CHECK(installed_origin(tsv, "/opt/runnc/bin/nabla-run") == "lab --install vm:/work/ext/nabla/lab-install");
    CHECK(installed_origin(tsv, "/opt/runnc/bin/nabla").empty());
    CHECK(installed_origin("", "/opt/runnc/bin/runnc").empty());
    // A file on this machine: its sha256 and size, never a throw.
    TempDir d;
    d.write("f", "abc");
    auto o = binary_origin(d.str() + "/f", d.str() + "/no-manifest.tsv");
    CHECK(o["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(o["size"] == 3);
    CHECK(o["origin"] == "not from a package");
    auto gone = binary_origin(d.str() + "/missing", d.str() + "/no-manifest.tsv");
    CHECK(gone["error"] == "cannot read " + d.str() + "/missing");
    CHECK_FALSE(gone.contains("sha256"));
}
