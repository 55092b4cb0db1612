#include "function_retirer.h"

#include <algorithm>
#include <map>
#include <set>

#include "files.h"

namespace hap {
namespace {

// "name" or "name [module]" -> (name, module).
std::pair<std::string_view, std::string_view> split_line(std::string_view line) {
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return {line, {}};
    std::string_view name = line.substr(0, sp), rest = line.substr(sp + 1);
    if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') return {name, rest.substr(1, rest.size() - 2)};
    return {name, {}};
}

std::string key_of(std::string_view name, std::string_view module) {
    std::string k(name);
    k += '\0';
    k += module;
    return k;
}

}  // namespace

NotraceIndex NotraceIndex::build(std::string_view aff, const Kallsyms& syms) {
    NotraceIndex idx;
    // Lines of each (name, object), in file order; a disabled record shows as
    // an empty line on 6.1 and still takes an index, so every line counts.
    std::unordered_map<std::string, std::vector<uint32_t>> lines;
    std::unordered_map<std::string, uint32_t> per_name;  // name -> lines, all objects
    uint32_t line_no = 0;
    size_t at = 0;
    while (at < aff.size()) {
        size_t nl = aff.find('\n', at);
        if (nl == std::string_view::npos) nl = aff.size();
        const std::string_view line = aff.substr(at, nl - at);
        at = nl + 1;
        ++line_no;
        if (line.empty()) continue;
        auto [name, module] = split_line(line);
        lines[key_of(name, module)].push_back(line_no);
        ++per_name[std::string(name)];
    }
    idx.lines_ = line_no;
    // Text symbols of each (name, object) at distinct addresses, in address order.
    struct Sym {
        uint64_t start, end;
    };
    std::unordered_map<std::string, std::vector<Sym>> symbols;
    syms.for_each([&](uint64_t addr, uint64_t next, std::string_view name, std::string_view module) {
        if (addr == 0) return;  // kallsyms read without privilege: nothing can be mapped
        auto it = lines.find(key_of(name, module));
        if (it == lines.end()) return;
        auto& v = symbols[it->first];
        if (v.empty() || v.back().start != addr) v.push_back(Sym{addr, next});
    });
    for (const auto& [key, ls] : lines) {
        auto it = symbols.find(key);
        // Counts differ: which symbol is which line is a guess. Left out.
        if (it == symbols.end() || it->second.size() != ls.size()) continue;
        const std::string name = key.substr(0, key.find('\0'));
        const bool unique = per_name[name] == 1;
        for (size_t k = 0; k < ls.size(); ++k)
            idx.fns_.push_back(Fn{it->second[k].start, it->second[k].end, ls[k], unique, name});
    }
    std::sort(idx.fns_.begin(), idx.fns_.end(), [](const Fn& a, const Fn& b) { return a.start < b.start; });
    return idx;
}

std::string NotraceIndex::token(uint64_t addr) const {
    auto it = std::upper_bound(fns_.begin(), fns_.end(), addr, [](uint64_t a, const Fn& f) { return a < f.start; });
    if (it == fns_.begin()) return {};
    --it;
    if (addr >= it->end) return {};
    if (by_index_) return std::to_string(it->index);
    return it->unique_name ? it->name : std::string();
}

std::vector<std::pair<std::string, std::string>> NotraceIndex::samples(size_t n) const {
    // Spread over the index range, core kernel and modules alike: an offset
    // that creeps in (lines the kernel counts but does not show) shows at
    // the far end.
    std::vector<const Fn*> by_index;
    for (const auto& f : fns_) by_index.push_back(&f);
    std::sort(by_index.begin(), by_index.end(), [](const Fn* a, const Fn* b) { return a->index < b->index; });
    std::vector<std::pair<std::string, std::string>> out;
    if (by_index.empty() || n == 0) return out;
    for (size_t i = 0; i < n; ++i) {
        const Fn* f = by_index[i * (by_index.size() - 1) / std::max<size_t>(n - 1, 1)];
        if (!out.empty() && out.back().first == std::to_string(f->index)) continue;
        out.emplace_back(std::to_string(f->index), f->name);
    }
    return out;
}

Status probe_notrace_indexes(const std::string& notrace, const std::vector<std::pair<std::string, std::string>>& samples) {
    std::string text;
    std::multiset<std::string> want;
    for (const auto& [index, name] : samples) {
        text += index + "\n";
        want.insert(name);
    }
    auto st = append_file(notrace, text);
    auto got = read_file(notrace);
    (void)write_file(notrace, "\n");  // empty again, whatever happened
    if (!st) return Error{"writing indexes to " + notrace + ": " + st.error().describe(), st.error().err};
    if (!got) return got.error();
    std::multiset<std::string> have;
    for (auto line : split(*got, '\n')) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        have.insert(std::string(split_line(line).first));
    }
    if (have != want) {
        std::string first;
        for (const auto& w : want)
            if (!have.count(w)) {
                first = w;
                break;
            }
        return Error{"set_ftrace_notrace took other functions than the indexes name (" + std::to_string(have.size()) + " of " +
                         std::to_string(want.size()) + " back" + (first.empty() ? "" : ", missing " + first) + ")",
                     0};
    }
    return {};
}

NotraceWriter::NotraceWriter(std::string path, std::chrono::milliseconds every) : path_(std::move(path)), every_(every) {
    thread_ = std::thread([this] { run(); });
}

NotraceWriter::~NotraceWriter() { stop(); }

void NotraceWriter::submit(std::string token, uint64_t generation) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || generation != generation_.load()) return;
    queue_.push_back(std::move(token));
}

uint64_t NotraceWriter::reset() {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
    const auto t0 = std::chrono::steady_clock::now();
    auto st = write_file(path_, "\n");
    stats_.write_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!st) stats_.last_error = "emptying " + path_ + ": " + st.error().describe();
    ++stats_.resets;
    return ++generation_;
}

void NotraceWriter::stop() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
        queue_.clear();
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

NotraceWriter::Stats NotraceWriter::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
}

void NotraceWriter::run() {
    std::vector<std::string> batch;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
        cv_.wait_for(lock, every_, [this] { return stop_; });
        if (stop_ || queue_.empty()) continue;
        batch.swap(queue_);
        // Written under the lock: a reset() waits for the batch's close,
        // so nothing decided before it lands after it.
        write_batch(batch);
        batch.clear();
    }
}

void NotraceWriter::write_batch(std::vector<std::string>& batch) {
    std::string text;
    for (const auto& t : batch) text += t + "\n";
    const auto t0 = std::chrono::steady_clock::now();
    auto st = append_file(path_, text);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stats_.write_seconds += secs;
    stats_.longest_batch_seconds = std::max(stats_.longest_batch_seconds, secs);
    ++stats_.batches;
    if (st) {
        stats_.tokens_written += batch.size();
    } else {
        // The kernel refused a token: it applies those before it at close.
        ++stats_.failed_batches;
        stats_.last_error = st.error().describe();
    }
}

void FunctionRetirer::expect_role(Role r, const std::function<uint64_t()>& on_new_role) {
    if (r == Role::Unknown) return;
    const uint8_t was = expected_.fetch_or(bit(r));
    if ((was & bit(r)) || was == 0) return;
    // A role that comes while others run: what they retired it has not reached.
    if (on_new_role) generation_.store(on_new_role());
}

void FunctionRetirer::expect_vcpus(unsigned vcpus) {
    vcpus_expected_ = vcpus;
    expect_role(Role::Vcpu);
}

void FunctionRetirer::on_counted_function(pid_t tid, uint64_t addr) {
    const uint64_t gen = generation_.load();
    if (gen != seen_generation_) {
        // The list was emptied for a new role: nothing is retired any more.
        for (auto& [a, mask] : reached_) mask &= uint8_t(~kRetired);
        seen_generation_ = gen;
    }
    Role role;
    if (auto c = role_cache_.find(tid); c != role_cache_.end()) {
        role = c->second;
    } else {
        role = tasks_.role_of(tid);
        if (role == Role::Unknown) {
            ++unknown_role_;
            return;
        }
        if (!roles_settled() && role != Role::Vcpu) {
            // It may still turn out to be a vCPU thread (VM sandboxes).
            unsettled_[tid].insert(addr);
            return;
        }
        role_cache_.emplace(tid, role);
    }
    reach(role, addr, gen);
}

void FunctionRetirer::on_guest_entered(pid_t tid) {
    // Settled, every vCPU is known (and cached as one); before, only vCPU
    // roles were cached: nothing cached can be wrong.
    if (roles_settled()) return;
    vcpus_found_.insert(tid);
    if (!roles_settled()) return;
    // The last vCPU thread is known: every task's role is final now.
    auto kept = std::move(unsettled_);
    unsettled_.clear();
    for (const auto& [t, addrs] : kept)
        for (uint64_t a : addrs) on_counted_function(t, a);
}

void FunctionRetirer::reach(Role role, uint64_t addr, uint64_t gen) {
    uint8_t& mask = reached_[addr];
    if (mask & (bit(role) | kRetired)) return;
    mask |= bit(role);
    const uint8_t expected = expected_.load();
    if (expected == 0 || (mask & expected) != expected) return;
    if (!protected_.empty() && protected_.find(addr)) return;
    mask |= kRetired;
    if (retire_(addr, gen)) ++retired_;
    else ++unmapped_;
}

}  // namespace hap
