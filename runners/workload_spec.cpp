#include "workload_spec.h"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <toml++/toml.h>

#include "files.h"

namespace hap {
namespace {

const std::set<std::string> kPlaceholders = {"address", "port", "duration", "concurrency"};

std::string type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::array: return "an array";
        case toml::node_type::table: return "a table";
        default: return "a date or time";
    }
}

// Reads one file's values, each error "ORIGIN:LINE: FIELD: message" (exit 2).
class Reader {
public:
    explicit Reader(std::string origin) : origin_(std::move(origin)) {}

    [[noreturn]] void fail(const toml::source_region& where, const std::string& field, const std::string& msg) const {
        const auto line = where.begin.line ? where.begin.line : 1;
        throw UserError(origin_ + ":" + std::to_string(line) + ": " + field + ": " + msg,
                        "see runners/workloads/README.md for the format; `hapctl workload check FILE` checks a file",
                        kExitUsage);
    }

    // Every key of `t` must be one of `allowed`: an unknown key is an error, never ignored.
    void only(const toml::table& t, const std::string& prefix, const std::set<std::string>& allowed) const {
        for (auto&& [k, v] : t)
            if (!allowed.count(std::string(k.str()))) {
                std::string list;
                for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
                fail(k.source(), prefix + std::string(k.str()), "unknown key (known here: " + list + ")");
            }
    }

    const toml::node* get(const toml::table& t, const std::string& key) const { return t.get(key); }

    const toml::node& need(const toml::table& t, const std::string& prefix, const std::string& key) const {
        const toml::node* n = t.get(key);
        if (!n) fail(t.source(), prefix + key, "missing (required)");
        return *n;
    }

    std::string str(const toml::node& n, const std::string& field) const {
        if (!n.is_string()) fail(n.source(), field, "must be a string, not " + type_name(n));
        return n.as_string()->get();
    }

    int64_t integer(const toml::node& n, const std::string& field, int64_t lo, int64_t hi) const {
        if (!n.is_integer()) fail(n.source(), field, "must be an integer, not " + type_name(n));
        const int64_t v = n.as_integer()->get();
        if (v < lo || v > hi) fail(n.source(), field, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
        return v;
    }

    std::vector<std::string> strings(const toml::node& n, const std::string& field) const {
        if (!n.is_array()) fail(n.source(), field, "must be an array of strings, not " + type_name(n));
        std::vector<std::string> out;
        const auto& a = *n.as_array();
        for (size_t i = 0; i < a.size(); ++i) out.push_back(str(a[i], field + "[" + std::to_string(i) + "]"));
        return out;
    }

    const toml::table& table(const toml::node& n, const std::string& field) const {
        if (!n.is_table()) fail(n.source(), field, "must be a table, not " + type_name(n));
        return *n.as_table();
    }

    // An argv: a non-empty array of strings whose {placeholders} are known ones.
    Argv command(const toml::node& n, const std::string& field) const {
        Argv argv = strings(n, field);
        if (argv.empty() || argv[0].empty()) fail(n.source(), field, "must name a program (a non-empty array)");
        static const std::regex kBrace(R"(\{([^{}]*)\})");
        for (const auto& a : argv)
            for (std::sregex_iterator it(a.begin(), a.end(), kBrace), end; it != end; ++it)
                if (!kPlaceholders.count((*it)[1].str()))
                    fail(n.source(), field,
                         "unknown placeholder {" + (*it)[1].str() + "} (known: {address} {port} {duration} {concurrency})");
        return argv;
    }

private:
    std::string origin_;
};

bool absolute_path(const std::string& p) { return !p.empty() && p[0] == '/'; }

ReadyProbe read_ready(const Reader& r, const toml::table& t) {
    r.only(t, "ready.", {"probe", "path", "status", "command"});
    ReadyProbe p;
    const toml::node& kind = r.need(t, "ready.", "probe");
    const std::string k = r.str(kind, "ready.probe");
    const std::set<std::string> allowed_extra = k == "http" ? std::set<std::string>{"path", "status"}
                                                : k == "command" ? std::set<std::string>{"command"}
                                                                 : std::set<std::string>{};
    for (auto&& [key, v] : t)
        if (key.str() != "probe" && !allowed_extra.count(std::string(key.str())))
            r.fail(key.source(), "ready." + std::string(key.str()), "does not apply to probe = \"" + k + "\"");
    if (k == "tcp") {
        p.kind = ReadyProbe::Kind::kTcp;
    } else if (k == "redis-ping") {
        p.kind = ReadyProbe::Kind::kRedisPing;
    } else if (k == "http") {
        p.kind = ReadyProbe::Kind::kHttp;
        if (auto* n = r.get(t, "path")) {
            p.http_path = r.str(*n, "ready.path");
            if (p.http_path.empty() || p.http_path[0] != '/') r.fail(n->source(), "ready.path", "must start with /");
        }
        if (auto* n = r.get(t, "status")) p.http_status = static_cast<int>(r.integer(*n, "ready.status", 100, 599));
    } else if (k == "command") {
        p.kind = ReadyProbe::Kind::kCommand;
        p.command = r.command(r.need(t, "ready.", "command"), "ready.command");
    } else {
        r.fail(kind.source(), "ready.probe", "unknown probe '" + k + "' (known: tcp, http, command, redis-ping)");
    }
    return p;
}

LoadSpec read_load(const Reader& r, const toml::table& t) {
    r.only(t, "load.", {"driver", "path", "command", "concurrency", "throughput", "unit"});
    LoadSpec l;
    const toml::node* driver = r.get(t, "driver");
    const toml::node* command = r.get(t, "command");
    if (driver && command) r.fail(command->source(), "load.command", "give either load.driver or load.command, not both");
    if (!driver && !command) r.fail(t.source(), "load", "needs load.driver (redis-benchmark, wrk) or load.command");
    if (driver) {
        const std::string d = r.str(*driver, "load.driver");
        for (const char* k : {"throughput", "unit", "concurrency"})
            if (auto* n = r.get(t, k)) r.fail(n->source(), std::string("load.") + k, "is for load.command; driver " + d + " reads its own");
        if (d == "redis-benchmark") {
            l.kind = LoadSpec::Kind::kRedisBenchmark;
            if (auto* n = r.get(t, "path")) r.fail(n->source(), "load.path", "is for driver wrk only");
        } else if (d == "wrk") {
            l.kind = LoadSpec::Kind::kWrk;
            if (auto* n = r.get(t, "path")) {
                l.http_path = r.str(*n, "load.path");
                if (l.http_path.empty() || l.http_path[0] != '/') r.fail(n->source(), "load.path", "must start with /");
            }
        } else {
            r.fail(driver->source(), "load.driver", "unknown driver '" + d + "' (known: redis-benchmark, wrk)");
        }
        return l;
    }
    l.kind = LoadSpec::Kind::kCommand;
    l.command = r.command(*command, "load.command");
    if (auto* n = r.get(t, "path")) r.fail(n->source(), "load.path", "is for driver wrk only");
    if (auto* n = r.get(t, "concurrency")) l.concurrency = static_cast<int>(r.integer(*n, "load.concurrency", 1, 10000));
    const toml::node& pat = r.need(t, "load.", "throughput");
    l.throughput_pattern = r.str(pat, "load.throughput");
    try {
        std::regex re(l.throughput_pattern, std::regex::ECMAScript);
        if (re.mark_count() < 1) r.fail(pat.source(), "load.throughput", "needs a group, (...), around the rate");
    } catch (const std::regex_error& e) {
        r.fail(pat.source(), "load.throughput", std::string("pattern does not compile: ") + e.what());
    }
    l.unit = r.str(r.need(t, "load.", "unit"), "load.unit");
    if (l.unit.empty()) r.fail(t.source(), "load.unit", "must not be empty");
    return l;
}

// A path in the file is relative to the file's own directory (a built-in,
// whose origin is "builtin:NAME", has only absolute ones).
std::string path_from(const std::string& origin, const std::string& p) {
    if (p.empty() || p[0] == '/' || origin.empty() || origin[0] != '/') return p;
    return (std::filesystem::path(origin).parent_path() / p).lexically_normal().string();
}

RootSpec read_root(const Reader& r, const toml::table& t, const std::string& origin) {
    r.only(t, "root.", {"debian-packages", "image", "tarball", "directory"});
    RootSpec root;
    const toml::node* given = nullptr;
    for (const char* k : {"debian-packages", "image", "tarball", "directory"})
        if (auto* n = r.get(t, k)) {
            if (given) r.fail(n->source(), std::string("root.") + k, "give one of root.debian-packages, image, tarball or directory");
            given = n;
            root.field = std::string("root.") + k;
        }
    if (!given) r.fail(t.source(), "root", "needs one of debian-packages, image, tarball or directory");
    root.line = static_cast<int>(given->source().begin.line);
    if (root.field == "root.debian-packages") {
        root.kind = RootSpec::Kind::kDebianPackages;
        root.debian_packages = r.strings(*given, root.field);
        if (root.debian_packages.empty()) r.fail(given->source(), root.field, "must name at least one package");
        static const std::regex kPackage("(apt:)?[a-z0-9][a-z0-9+.-]+");
        for (const auto& p : root.debian_packages)
            if (!std::regex_match(p, kPackage)) r.fail(given->source(), root.field, "'" + p + "' is not a Debian package name");
        return root;
    }
    const std::string value = r.str(*given, root.field);
    if (value.empty()) r.fail(given->source(), root.field, "must not be empty");
    if (root.field == "root.tarball" || root.field == "root.directory") {
        root.kind = root.field == "root.tarball" ? RootSpec::Kind::kTarball : RootSpec::Kind::kDirectory;
        root.source = path_from(origin, value);
        return root;
    }
    root.kind = RootSpec::Kind::kImage;
    // skopeo's transports that read local images only (no registry is
    // reachable, and a pull is not a measurement's business).
    const auto colon = value.find(':');
    const std::string transport = value.substr(0, colon);
    const std::string rest = colon == std::string::npos ? "" : value.substr(colon + 1);
    if (transport == "docker-daemon") {
        if (rest.empty()) r.fail(given->source(), root.field, "docker-daemon: needs NAME:TAG or an image ID");
        root.source = value;
    } else if (transport == "docker-archive" || transport == "oci" || transport == "oci-archive") {
        if (rest.empty()) r.fail(given->source(), root.field, transport + ": needs a path");
        // PATH[:REF]: the path ends at the first colon after it, as skopeo reads it.
        const auto c2 = rest.find(':');
        root.source = transport + ":" + path_from(origin, rest.substr(0, c2)) + (c2 == std::string::npos ? "" : rest.substr(c2));
    } else {
        r.fail(given->source(), root.field,
               "'" + value + "' is not a local image (give docker-archive:PATH, oci:DIR[:REF], oci-archive:PATH or docker-daemon:NAME:TAG)");
    }
    return root;
}

}  // namespace

WorkloadSpec parse_workload_spec(const std::string& text, const std::string& origin) {
    Reader r(origin);
    toml::table doc;
    try {
        doc = toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        r.fail(e.source(), "syntax", std::string(e.description()));
    }
    r.only(doc, "", {"name", "description", "root", "service", "ready", "setup", "load", "refuse"});

    WorkloadSpec w;
    w.origin = origin;
    w.text = text;
    const toml::node& name = r.need(doc, "", "name");
    w.name = r.str(name, "name");
    static const std::regex kName("[a-z0-9][a-z0-9_.-]{0,63}");
    if (!std::regex_match(w.name, kName))
        r.fail(name.source(), "name", "must be 1-64 of a-z 0-9 _ . - (starting with a letter or digit)");
    if (auto* n = r.get(doc, "description")) w.description = r.str(*n, "description");

    w.root = read_root(r, r.table(r.need(doc, "", "root"), "root"), origin);

    const toml::table& svc = r.table(r.need(doc, "", "service"), "service");
    r.only(svc, "service.", {"command", "port", "scratch", "env", "secret-env", "user", "workdir"});
    const toml::node& cmd = r.need(svc, "service.", "command");
    w.command = r.strings(cmd, "service.command");
    if (w.command.empty() || !absolute_path(w.command[0]))
        r.fail(cmd.source(), "service.command", "must start with an absolute program path (a sandbox has no PATH search)");
    w.port = static_cast<int>(r.integer(r.need(svc, "service.", "port"), "service.port", 1, 65535));
    if (auto* n = r.get(svc, "scratch")) {
        w.scratch = r.strings(*n, "service.scratch");
        for (const auto& d : w.scratch)
            if (!absolute_path(d)) r.fail(n->source(), "service.scratch", "'" + d + "' is not an absolute path");
    }
    if (auto* n = r.get(svc, "env")) {
        const toml::table& env = r.table(*n, "service.env");
        static const std::regex kEnvName("[A-Za-z_][A-Za-z0-9_]*");
        for (auto&& [k, v] : env) {
            const std::string key(k.str());
            if (!std::regex_match(key, kEnvName)) r.fail(k.source(), "service.env." + key, "is not an environment variable name");
            w.env.emplace_back(key, r.str(v, "service.env." + key));
        }
    }
    if (auto* n = r.get(svc, "secret-env")) {
        w.secret_env = r.strings(*n, "service.secret-env");
        for (const auto& s : w.secret_env) {
            bool found = false;
            for (const auto& [k, v] : w.env) found = found || k == s;
            if (!found) r.fail(n->source(), "service.secret-env", "'" + s + "' is not in service.env");
        }
    }
    if (auto* n = r.get(svc, "user")) {
        w.user = r.str(*n, "service.user");
        static const std::regex kUser("[0-9]{1,9}:[0-9]{1,9}|[a-z_][a-z0-9_-]{0,31}");
        if (!std::regex_match(w.user, kUser))
            r.fail(n->source(), "service.user", "must be \"UID:GID\" or a user name of the root, not '" + w.user + "'");
    }
    if (auto* n = r.get(svc, "workdir")) {
        w.workdir = r.str(*n, "service.workdir");
        if (!absolute_path(w.workdir)) r.fail(n->source(), "service.workdir", "must be an absolute path");
    }

    w.ready = read_ready(r, r.table(r.need(doc, "", "ready"), "ready"));

    if (auto* n = r.get(doc, "setup")) {
        if (!n->is_array_of_tables()) r.fail(n->source(), "setup", "must be [[setup]] tables, not " + type_name(*n));
        const auto& steps = *n->as_array();
        for (size_t i = 0; i < steps.size(); ++i) {
            const std::string f = "setup[" + std::to_string(i) + "].";
            const toml::table& t = *steps[i].as_table();
            r.only(t, f, {"command", "timeout"});
            SetupStep s;
            s.command = r.command(r.need(t, f, "command"), f + "command");
            if (auto* to = r.get(t, "timeout")) s.timeout_s = static_cast<int>(r.integer(*to, f + "timeout", 1, 3600));
            w.setup.push_back(std::move(s));
        }
    }

    w.load = read_load(r, r.table(r.need(doc, "", "load"), "load"));

    if (auto* n = r.get(doc, "refuse")) {
        const toml::table& t = r.table(*n, "refuse");
        for (auto&& [k, v] : t) w.refuse[std::string(k.str())] = r.str(v, "refuse." + std::string(k.str()));
    }
    return w;
}

WorkloadSpec load_workload_file(const std::string& path) {
    auto text = read_file(path);
    if (!text) throw UserError("workload file " + path + ": " + text.error().describe(), "", kExitUsage);
    // The store keeps where the file was: an absolute path means something
    // after the working directory is gone.
    std::error_code ec;
    const auto absolute = std::filesystem::absolute(path, ec);
    return parse_workload_spec(*text, ec ? path : absolute.lexically_normal().string());
}

std::vector<std::string> WorkloadSpec::host_tools() const {
    std::vector<std::string> tools;
    auto add = [&](const std::string& t) {
        if (std::find(tools.begin(), tools.end(), t) == tools.end()) tools.push_back(t);
    };
    if (ready.kind == ReadyProbe::Kind::kRedisPing) add("redis-cli");
    if (ready.kind == ReadyProbe::Kind::kCommand) add(ready.command[0]);
    for (const auto& s : setup) add(s.command[0]);
    switch (load.kind) {
        case LoadSpec::Kind::kRedisBenchmark: add("redis-benchmark"); break;
        case LoadSpec::Kind::kWrk: add("wrk"); break;
        case LoadSpec::Kind::kCommand: add(load.command[0]); break;
    }
    return tools;
}

std::vector<std::string> WorkloadSpec::driver_tools() const {
    std::vector<std::string> tools;
    if (ready.kind == ReadyProbe::Kind::kRedisPing) tools.push_back("redis-cli");
    if (load.kind == LoadSpec::Kind::kRedisBenchmark) tools.push_back("redis-benchmark");
    if (load.kind == LoadSpec::Kind::kWrk) tools.push_back("wrk");
    return tools;
}

std::string WorkloadSpec::redacted_text() const {
    // Re-parse to find each secret value's line, and replace the value there
    // (the file's other text, comments included, is kept as written).
    std::vector<std::string> lines = split(text, '\n');
    toml::table doc = toml::parse(text, origin);
    for (const auto& name : secret_env) {
        const toml::node* v = doc.at_path("service.env." + name).node();
        if (!v || !v->is_string()) continue;
        const auto& src = v->source();
        if (src.begin.line == 0 || src.begin.line > lines.size() || src.begin.line != src.end.line) {
            // A multi-line value: drop the whole file's text rather than risk keeping it.
            return "<redacted: service.env." + name + " spans lines>";
        }
        std::string& line = lines[src.begin.line - 1];
        const size_t from = src.begin.column - 1, to = std::min<size_t>(src.end.column - 1, line.size());
        if (from < to) line.replace(from, to - from, "\"<redacted>\"");
    }
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) out += lines[i] + (i + 1 < lines.size() ? "\n" : "");
    return out;
}

std::pair<uint32_t, uint32_t> resolve_user(const std::string& user, const std::string& root_dir) {
    static const std::regex kUidGid("([0-9]{1,9}):([0-9]{1,9})");
    std::smatch m;
    if (std::regex_match(user, m, kUidGid))
        return {static_cast<uint32_t>(std::stoul(m[1])), static_cast<uint32_t>(std::stoul(m[2]))};
    const std::string passwd = (root_dir == "/" ? "" : root_dir) + "/etc/passwd";
    auto text = read_file(passwd);
    if (!text) throw UserError("service.user '" + user + "': cannot read " + passwd + ": " + text.error().describe());
    for (const auto& line : split(*text, '\n')) {
        auto f = split(line, ':');  // name:password:uid:gid:gecos:home:shell (passwd(5))
        if (f.size() >= 4 && f[0] == user) {
            try {
                return {static_cast<uint32_t>(std::stoul(f[2])), static_cast<uint32_t>(std::stoul(f[3]))};
            } catch (...) {
                break;
            }
        }
    }
    throw UserError("service.user '" + user + "' is not a user of " + passwd,
                    "give \"UID:GID\", or a user the root's packages create");
}

Argv expand_placeholders(const Argv& argv, const std::string& address, int port, long duration_s, int concurrency) {
    const std::map<std::string, std::string> values = {{"address", address},
                                                       {"port", std::to_string(port)},
                                                       {"duration", std::to_string(duration_s)},
                                                       {"concurrency", std::to_string(concurrency)}};
    Argv out;
    for (const auto& a : argv) {
        std::string s;
        size_t i = 0;
        while (i < a.size()) {
            const size_t open = a.find('{', i), close = open == std::string::npos ? open : a.find('}', open);
            if (open == std::string::npos || close == std::string::npos) {
                s += a.substr(i);
                break;
            }
            auto it = values.find(a.substr(open + 1, close - open - 1));
            s += a.substr(i, open - i) + (it != values.end() ? it->second : a.substr(open, close - open + 1));
            i = close + 1;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace hap
