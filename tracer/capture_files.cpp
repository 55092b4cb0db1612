#include "capture_files.h"

#include <memory>

#include "files.h"

namespace hap {

Expected<std::unique_ptr<CaptureWriter>> CaptureWriter::create(const std::string& dir, const std::string& tracing_dir,
                                                               const std::vector<std::string>& systems,
                                                               bool with_kallsyms, int cpus) {
    if (auto st = make_dirs(dir + "/events"); !st) return st.error();
    for (const char* h : {"header_page", "header_event"}) {
        auto text = read_file(tracing_dir + "/events/" + h);
        if (!text) return text.error();
        if (auto st = write_file(dir + "/events/" + h, *text); !st) return st.error();
    }
    for (const auto& sys : systems) {
        // libtracefs takes a directory for an event system only if it has an
        // `enable` file, as in tracefs.
        if (auto st = make_dirs(dir + "/events/" + sys); !st) return st.error();
        if (auto st = write_file(dir + "/events/" + sys + "/enable", "0\n"); !st) return st.error();
        for (const auto& ev : list_dir(tracing_dir + "/events/" + sys)) {
            auto fmt = read_file(tracing_dir + "/events/" + sys + "/" + ev + "/format");
            if (!fmt) continue;  // "enable", "filter": files, not events
            const std::string out = dir + "/events/" + sys + "/" + ev;
            if (auto st = make_dirs(out); !st) return st.error();
            if (auto st = write_file(out + "/format", *fmt); !st) return st.error();
        }
    }
    if (with_kallsyms) {
        auto ks = read_file("/proc/kallsyms");
        if (ks) (void)write_file(dir + "/kallsyms", *ks);
    }
    std::unique_ptr<CaptureWriter> w(new CaptureWriter());
    w->dir_ = dir;
    // Every CPU gets its file, empty or not, so a replay sees the same CPUs.
    for (int cpu = 0; cpu < cpus; ++cpu)
        if (auto st = w->open_cpu(cpu); !st) return st.error();
    return w;
}

CaptureWriter::~CaptureWriter() { (void)close_pages(); }

std::string CaptureWriter::cpu_file(int cpu) const {
    return dir_ + "/per_cpu/cpu" + std::to_string(cpu) + "/trace_pipe_raw";
}

Status CaptureWriter::open_cpu(int cpu) {
    CpuFile& cf = files_[cpu];
    if (cf.f) return {};
    if (auto st = make_dirs(dir_ + "/per_cpu/cpu" + std::to_string(cpu)); !st) return st;
    cf.f = std::fopen(cpu_file(cpu).c_str(), "wb");
    if (!cf.f) return errno_error("cannot create " + cpu_file(cpu));
    // Large writes: on 9p (the lab's output share) each write is a round
    // trip. glibc ignores the size unless it is given the buffer too.
    constexpr size_t kBuffer = 256u << 10;
    cf.buffer.reset(new char[kBuffer]);
    std::setvbuf(cf.f, cf.buffer.get(), _IOFBF, kBuffer);
    return {};
}

Status CaptureWriter::write_page(int cpu, const void* data, size_t size) {
    if (auto st = open_cpu(cpu); !st) return st;
    FILE* f = files_[cpu].f;
    // Whole pages only, so a reader can step through the file page by page.
    static const std::vector<char> zeros(65536, 0);
    if (std::fwrite(data, 1, size, f) != size) return errno_error("cannot write " + cpu_file(cpu));
    if (size < page_size_ && std::fwrite(zeros.data(), 1, page_size_ - size, f) != page_size_ - size)
        return errno_error("cannot write " + cpu_file(cpu));
    return {};
}

Status CaptureWriter::close_pages() {
    Status first;
    for (auto& [cpu, cf] : files_) {
        if (!cf.f) continue;
        // fclose flushes: ENOSPC of the last buffered bytes shows up here.
        if (std::fclose(cf.f) != 0 && first) first = errno_error("cannot write " + cpu_file(cpu));
        cf.f = nullptr;
    }
    files_.clear();
    return first;
}

Status CaptureWriter::finish(nlohmann::json meta) {
    if (auto st = close_pages(); !st) return st;
    meta["format"] = "hap-capture";
    meta["format_version"] = 1;
    meta["page_size"] = page_size_;
    return write_file(dir_ + "/meta.json", meta.dump(2) + "\n");
}

Expected<nlohmann::json> read_capture_meta(const std::string& dir) {
    auto text = read_file(dir + "/meta.json");
    if (!text) return Error{dir + " is not a complete hap capture (no meta.json)", text.error().err};
    auto j = nlohmann::json::parse(*text, nullptr, false);
    // json::value() throws on a non-object or a value of another type: check
    // every type a reader relies on here, so a damaged file is an Error.
    auto fmt = j.is_object() ? j.find("format") : j.end();
    if (j.is_discarded() || !j.is_object() || fmt == j.end() || !fmt->is_string() || *fmt != "hap-capture")
        return Error{dir + "/meta.json is not a hap capture description"};
    auto ver = j.find("format_version");
    if (ver == j.end() || !ver->is_number_integer())
        return Error{dir + "/meta.json has no integer format_version"};
    if (*ver != 1)
        return Error{dir + "/meta.json has capture format version " + ver->dump() + ", this hap reads version 1"};
    if (auto p = j.find("page_size"); p != j.end() && !p->is_number_unsigned())
        return Error{dir + "/meta.json: page_size is not a positive integer"};
    if (auto l = j.find("losses"); l != j.end()) {
        if (!l->is_object()) return Error{dir + "/meta.json: losses is not an object"};
        for (const char* k : {"overrun", "dropped", "commit_overrun"})
            if (auto v = l->find(k); v != l->end() && !v->is_number_unsigned())
                return Error{dir + "/meta.json: losses." + k + " is not a count"};
    }
    if (auto r = j.find("record"); r != j.end()) {
        auto c = r->is_object() ? r->find("complete") : r->end();
        if (c == r->end() || !c->is_boolean()) return Error{dir + "/meta.json: record has no boolean `complete`"};
    }
    return j;
}

}  // namespace hap
