#include "run_export.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "csv.h"

namespace hap {
namespace {

const std::vector<std::pair<std::string, std::string>> kRoleColumns = {{"function", "fn"}, {"syscall", "sys"}};

std::string num(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : ""; }
std::string num(const std::optional<double>& v) { return v ? fmt::format("{:.6g}", *v) : ""; }

}  // namespace

std::vector<std::string> run_csv_header() {
    std::vector<std::string> h = {"run_id", "uuid", "status", "runtime", "platform", "workload", "image",
                                  "kernel", "mode", "network", "repetition", "hap_fn", "hap_fn_raw", "hap_sys", "hap_hc"};
    for (const auto& [kind, prefix] : kRoleColumns)
        for (const auto& role : kRoles) h.push_back(prefix + "_" + role);
    for (const char* c : {"events", "lost_events", "interrupt_excluded", "trace_seconds", "throughput",
                          "throughput_untraced", "throughput_unit", "started_at", "host", "reason"})
        h.push_back(c);
    return h;
}

std::vector<std::string> run_csv_fields(const RunSummary& s) {
    const RunRow& r = s.run;
    std::vector<std::string> f = {std::to_string(r.id), r.uuid, r.status, r.runtime, r.platform, r.workload,
                                  r.image, r.kernel_release, r.mode, r.network, std::to_string(r.repetition),
                                  num(s.hap_fn), num(s.hap_fn_raw), num(s.hap_sys), num(s.hap_hc)};
    for (const auto& [kind, prefix] : kRoleColumns) {
        auto k = s.by_role.find(kind);
        for (const auto& role : kRoles) {
            // Empty: not captured, not complete, or a role this sandbox did not have.
            const bool known = k != s.by_role.end() && r.status == "complete" && k->second.count(role);
            f.push_back(known ? std::to_string(k->second.at(role)) : "");
        }
    }
    for (const auto& v : {num(r.events), num(r.lost_events), num(r.interrupt_excluded), num(r.trace_seconds),
                          num(r.throughput), num(r.throughput_untraced), r.throughput_unit, r.started_at, r.hostname, r.reason})
        f.push_back(v);
    return f;
}

void write_runs_csv(std::ostream& out, const std::vector<RunSummary>& runs) {
    write_csv_row(out, run_csv_header());
    for (const auto& s : runs) write_csv_row(out, run_csv_fields(s));
}

void write_runs_tsv(std::ostream& out, const std::vector<RunSummary>& runs) {
    auto row = [&](std::vector<std::string> fields) {
        for (size_t i = 0; i < fields.size(); ++i) {
            for (char& c : fields[i])
                if (c == '\t' || c == '\n' || c == '\r') c = ' ';
            out << (i ? "\t" : "") << fields[i];
        }
        out << "\n";
    };
    row(run_csv_header());
    for (const auto& s : runs) row(run_csv_fields(s));
}

void write_runs_json(std::ostream& out, const std::vector<RunSummary>& runs) {
    nlohmann::json arr = nlohmann::json::array();
    const auto header = run_csv_header();
    for (const auto& s : runs) {
        nlohmann::json o;
        const auto fields = run_csv_fields(s);
        for (size_t i = 0; i < header.size(); ++i) o[header[i]] = fields[i];
        for (const char* k : {"run_id", "repetition", "hap_fn", "hap_fn_raw", "hap_sys", "hap_hc", "events", "lost_events"})
            if (!o[k].get<std::string>().empty()) o[k] = std::stoll(o[k].get<std::string>());
            else o[k] = nullptr;
        o["settings"] = nlohmann::json::parse(s.run.settings_json, nullptr, false);
        o["by_role"] = s.by_role;
        arr.push_back(std::move(o));
    }
    out << arr.dump(2) << "\n";
}

}  // namespace hap
