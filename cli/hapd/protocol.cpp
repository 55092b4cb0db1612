#include "protocol.h"

#include <set>

namespace hap::hapd {
namespace {

using nlohmann::json;

Error bad(const std::string& what) { return Error{"bad request: " + what}; }

// Field readers: each refuses a wrong type with the field's name.
struct Fields {
    const json& obj;
    std::set<std::string> seen;

    const json* get(const char* name) {
        seen.insert(name);
        auto it = obj.find(name);
        return it == obj.end() ? nullptr : &*it;
    }
};

std::optional<Error> read_string(Fields& f, const char* name, std::string& out, size_t max_len, bool required,
                                 bool name_like) {
    const json* v = f.get(name);
    if (!v) return required ? std::optional<Error>(bad(std::string("missing field \"") + name + "\"")) : std::nullopt;
    if (!v->is_string()) return bad(std::string("field \"") + name + "\" must be a string");
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max_len)
        return bad(std::string("field \"") + name + "\" is longer than " + std::to_string(max_len) + " bytes");
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) return bad(std::string("field \"") + name + "\" holds a control character");
        if (name_like && !(std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == ':' || c == ','))
            return bad(std::string("field \"") + name + "\" may hold only letters, digits and . _ - : ,");
    }
    out = s;
    return std::nullopt;
}

std::optional<Error> read_int(Fields& f, const char* name, int64_t& out, int64_t lo, int64_t hi) {
    const json* v = f.get(name);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) return bad(std::string("field \"") + name + "\" must be an integer");
    // Unsigned values above INT64_MAX read back negative here, and fail the range.
    int64_t n = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX) ? -1 : v->get<int64_t>();
    if (n < lo || n > hi)
        return bad(std::string("field \"") + name + "\" must be between " + std::to_string(lo) + " and " +
                   std::to_string(hi));
    out = n;
    return std::nullopt;
}

std::optional<Error> read_bool(Fields& f, const char* name, bool& out) {
    const json* v = f.get(name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) return bad(std::string("field \"") + name + "\" must be true or false");
    out = v->get<bool>();
    return std::nullopt;
}

bool absolute_clean(const std::string& p) {
    if (p.empty() || p[0] != '/') return false;
    return p.find("/../") == std::string::npos && (p.size() < 3 || p.compare(p.size() - 3, 3, "/..") != 0);
}

#define TRY(expr)                          \
    do {                                   \
        if (auto e_ = (expr); e_) return *e_; \
    } while (0)

Expected<Request> parse_measure(Fields& f) {
    Request r;
    r.type = RequestType::Measure;
    MeasureRequest& m = r.measure;
    int64_t n = 0;
    TRY(read_string(f, "runtime", m.runtime, 64, true, true));
    TRY(read_string(f, "workload", m.workload, 64, true, true));
    TRY(read_string(f, "platform", m.platform, 64, false, true));
    TRY(read_string(f, "mode_spec", m.mode_spec, 128, false, true));
    n = m.reps;
    TRY(read_int(f, "reps", n, 1, 1000));
    m.reps = static_cast<int>(n);
    n = m.duration.count();
    TRY(read_int(f, "duration", n, 1, 86400));
    m.duration = std::chrono::seconds(n);
    n = m.ready_timeout.count();
    TRY(read_int(f, "ready_timeout", n, 1, 3600));
    m.ready_timeout = std::chrono::seconds(n);
    n = m.buffer_kb;
    TRY(read_int(f, "buffer_kb", n, 4, 4 * 1024 * 1024));
    m.buffer_kb = static_cast<unsigned>(n);
    TRY(read_string(f, "db_path", m.db_path, 4096, true, false));
    if (!absolute_clean(m.db_path)) return bad("field \"db_path\" must be an absolute path without ..");
    TRY(read_string(f, "record_dir", m.record_dir, 4096, false, false));
    if (!m.record_dir.empty() && !absolute_clean(m.record_dir))
        return bad("field \"record_dir\" must be an absolute path without ..");
    TRY(read_string(f, "docker_host", m.docker_host, 4096, false, false));
    TRY(read_string(f, "guest_kernel", m.vm.kernel, 4096, false, false));
    if (!m.vm.kernel.empty() && !absolute_clean(m.vm.kernel))
        return bad("field \"guest_kernel\" must be an absolute path without ..");
    n = m.vm.cpus;
    TRY(read_int(f, "guest_cpus", n, 1, 64));
    m.vm.cpus = static_cast<int>(n);
    n = m.vm.mem_mb;
    TRY(read_int(f, "guest_mem_mb", n, 128, 65536));
    m.vm.mem_mb = static_cast<int>(n);
    TRY(read_string(f, "guest_append", m.vm.append, 1024, false, false));
    TRY(read_string(f, "guest_shared_fs", m.vm.shared_fs, 16, false, true));
    if (const json* v = f.get("nabla_images")) {
        if (!v->is_array() || v->size() > 16) return bad("field \"nabla_images\" must be an array of at most 16 strings");
        for (const auto& e : *v) {
            if (!e.is_string() || e.get_ref<const std::string&>().size() > 4096)
                return bad("field \"nabla_images\" must hold strings of at most 4096 bytes");
            for (unsigned char c : e.get_ref<const std::string&>())
                if (c < 0x20 || c == 0x7f) return bad("field \"nabla_images\" holds a control character");
            m.nabla_images.push_back(e.get<std::string>());
        }
    }
    TRY(read_bool(f, "untraced_baseline", m.untraced_baseline));
    TRY(read_bool(f, "wait", r.wait));
    return r;
}

}  // namespace

Expected<Request> parse_request(std::string_view line) {
    if (line.size() > kMaxLineBytes)
        return bad("line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    json j = json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded()) return bad("not a JSON document");
    if (!j.is_object()) return bad("not a JSON object");
    Fields f{j, {}};
    const json* v = f.get("v");
    if (!v) return bad("missing field \"v\" (protocol version)");
    if (!v->is_number_integer()) return bad("field \"v\" must be an integer");
    if (v->get<int64_t>() != kProtocolVersion)
        return Error{"protocol version " + v->dump() + " is not spoken here; this hapd speaks version " +
                     std::to_string(kProtocolVersion)};
    std::string type;
    if (auto e = read_string(f, "type", type, 32, true, true)) return *e;

    Expected<Request> out = Request{};
    if (type == "hello") {
        Request r;
        r.type = RequestType::Hello;
        if (auto e = read_string(f, "client", r.client, 256, false, false)) return *e;
        out = r;
    } else if (type == "measure") {
        out = parse_measure(f);
    } else if (type == "status") {
        Request r;
        r.type = RequestType::Status;
        out = r;
    } else if (type == "cancel") {
        Request r;
        r.type = RequestType::Cancel;
        int64_t job = 0, sig = 0;
        if (f.obj.contains("job")) {
            if (auto e = read_int(f, "job", job, 1, INT64_MAX)) return *e;
            r.job = job;
        }
        if (auto e = read_int(f, "signal", sig, 0, 64)) return *e;
        r.signal = static_cast<int>(sig);
        out = r;
    } else {
        return bad("unknown request type \"" + type + "\" (hello, measure, status, cancel)");
    }
    if (!out) return out;
    for (const auto& [key, value] : j.items())
        if (!f.seen.count(key)) return bad("unknown field \"" + key + "\" in a " + type + " request");
    return out;
}

std::string hello_line(const std::string& server) {
    return json{{"v", kProtocolVersion}, {"type", "hello"}, {"server", server}}.dump();
}
std::string queued_line(int64_t job, size_t ahead) {
    return json{{"v", kProtocolVersion}, {"type", "queued"}, {"job", job}, {"ahead", ahead}}.dump();
}
std::string started_line(int64_t job) { return json{{"v", kProtocolVersion}, {"type", "started"}, {"job", job}}.dump(); }
std::string progress_line(const std::string& text) {
    return json{{"v", kProtocolVersion}, {"type", "progress"}, {"line", text}}.dump(-1, ' ', false,
                                                                                        json::error_handler_t::replace);
}
std::string result_line(const MeasureResult& r) {
    return json{{"v", kProtocolVersion}, {"type", "result"}, {"result", result_to_json(r)}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
}
std::string error_line(const std::string& message, const std::string& hint, int exit_code) {
    return json{{"v", kProtocolVersion}, {"type", "error"}, {"message", message}, {"hint", hint}, {"exit_code", exit_code}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}
std::string busy_line(size_t ahead, const std::string& message, const std::string& hint) {
    return json{{"v", kProtocolVersion}, {"type", "busy"}, {"ahead", ahead}, {"message", message}, {"hint", hint},
                {"exit_code", static_cast<int>(kExitFailure)}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string measure_request_line(const MeasureRequest& m, bool wait) {
    json j{{"v", kProtocolVersion},
           {"type", "measure"},
           {"runtime", m.runtime},
           {"workload", m.workload},
           {"mode_spec", m.mode_spec},
           {"reps", m.reps},
           {"duration", m.duration.count()},
           {"ready_timeout", m.ready_timeout.count()},
           {"buffer_kb", m.buffer_kb},
           {"db_path", m.db_path},
           {"wait", wait}};
    if (!m.platform.empty()) j["platform"] = m.platform;
    if (!m.untraced_baseline) j["untraced_baseline"] = false;
    if (!m.record_dir.empty()) j["record_dir"] = m.record_dir;
    if (!m.docker_host.empty()) j["docker_host"] = m.docker_host;
    if (!m.vm.kernel.empty()) j["guest_kernel"] = m.vm.kernel;
    if (m.vm.cpus != VmOptions{}.cpus) j["guest_cpus"] = m.vm.cpus;
    if (m.vm.mem_mb != VmOptions{}.mem_mb) j["guest_mem_mb"] = m.vm.mem_mb;
    if (!m.vm.append.empty()) j["guest_append"] = m.vm.append;
    if (!m.vm.shared_fs.empty()) j["guest_shared_fs"] = m.vm.shared_fs;
    if (!m.nabla_images.empty()) j["nabla_images"] = m.nabla_images;
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

nlohmann::json result_to_json(const MeasureResult& r) {
    json reps = json::array();
    for (const auto& rep : r.reps) {
        json x{{"repetition", rep.repetition}, {"run_id", rep.run_id}, {"status", rep.status}, {"reason", rep.reason},
               {"syscalls_by_role", rep.syscalls_by_role}, {"events", rep.events}, {"lost", rep.lost},
               {"throughput", rep.throughput}, {"unit", rep.unit}};
        x["unique_syscalls"] = rep.unique_syscalls ? json(*rep.unique_syscalls) : json(nullptr);
        x["unique_functions"] = rep.unique_functions ? json(*rep.unique_functions) : json(nullptr);
        x["functions_by_role"] = rep.functions_by_role;
        x["unique_hc"] = rep.unique_hc ? json(*rep.unique_hc) : json(nullptr);
        x["throughput_untraced"] = rep.throughput_untraced ? json(*rep.throughput_untraced) : json(nullptr);
        if (!rep.record.empty()) x["record"] = rep.record;
        reps.push_back(std::move(x));
    }
    return json{{"runtime", r.runtime}, {"platform", r.platform}, {"workload", r.workload}, {"modes", r.modes},
                {"network", r.network}, {"reps", reps}};
}

Expected<MeasureResult> result_from_json(const nlohmann::json& j) {
    try {
        MeasureResult r;
        r.runtime = j.at("runtime").get<std::string>();
        r.platform = j.at("platform").get<std::string>();
        r.workload = j.at("workload").get<std::string>();
        r.modes = j.at("modes").get<std::string>();
        r.network = j.at("network").get<std::string>();
        for (const auto& x : j.at("reps")) {
            RepResult rep;
            rep.repetition = x.at("repetition").get<int>();
            rep.run_id = x.at("run_id").get<int64_t>();
            rep.status = x.at("status").get<std::string>();
            rep.reason = x.at("reason").get<std::string>();
            rep.syscalls_by_role = x.at("syscalls_by_role").get<std::map<std::string, int64_t>>();
            rep.events = x.at("events").get<uint64_t>();
            rep.lost = x.at("lost").get<uint64_t>();
            rep.throughput = x.at("throughput").get<double>();
            rep.unit = x.at("unit").get<std::string>();
            if (!x.at("unique_syscalls").is_null()) rep.unique_syscalls = x.at("unique_syscalls").get<int64_t>();
            if (!x.at("unique_functions").is_null()) rep.unique_functions = x.at("unique_functions").get<int64_t>();
            // Added in the same protocol version; an older hapd omits them.
            if (x.contains("functions_by_role"))
                rep.functions_by_role = x.at("functions_by_role").get<std::map<std::string, int64_t>>();
            if (x.contains("unique_hc") && !x.at("unique_hc").is_null()) rep.unique_hc = x.at("unique_hc").get<int64_t>();
            if (x.contains("throughput_untraced") && !x.at("throughput_untraced").is_null())
                rep.throughput_untraced = x.at("throughput_untraced").get<double>();
            if (x.contains("record")) rep.record = x.at("record").get<std::string>();  // with --record only
            r.reps.push_back(std::move(rep));
        }
        return r;
    } catch (const json::exception& e) {
        return Error{std::string("hapd sent a result hapctl cannot read: ") + e.what()};
    }
}

}  // namespace hap::hapd
