#include "nabla_image.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "files.h"

namespace hap {
namespace {

bool is_dir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string dirname_of(const std::string& p) {
    auto slash = p.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : p.substr(0, slash);
}

const char* kImageHint =
    "give --nabla-image the root of a Nabla image (a directory holding /NAME.nabla and image-config.json) or a "
    "NAME.nabla file; README.md, 'Nabla', says how to lay one out";

}  // namespace

std::string NablaImage::unikernel() const {
    if (root.empty() || process.argv.empty()) return "";
    return (root == "/" ? "" : root) + process.argv[0];
}

std::string NablaImage::hvt_unikernel() const {
    const std::string spt = unikernel();
    if (!ends_with(spt, ".nabla")) return "";
    const std::string hvt = spt.substr(0, spt.size() - 6) + ".hvt";
    return is_file(hvt) ? hvt : "";
}

Expected<NablaProcess> parse_nabla_image_config(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object()) return Error{"image-config.json is not a JSON object"};
    // `docker inspect` output wraps it in "config"/"Config"; accept both.
    for (const char* wrap : {"config", "Config"})
        if (j.contains(wrap) && j[wrap].is_object()) j = j[wrap];
    NablaProcess p;
    auto strings = [&](const char* key, std::vector<std::string>& out) -> bool {
        if (!j.contains(key) || j[key].is_null()) return true;
        if (!j[key].is_array()) return false;
        for (const auto& v : j[key]) {
            if (!v.is_string()) return false;
            out.push_back(v.get<std::string>());
        }
        return true;
    };
    std::vector<std::string> entry, cmd;
    if (!strings("Entrypoint", entry) || !strings("Cmd", cmd) || !strings("Env", p.env))
        return Error{"image-config.json: Entrypoint, Cmd and Env must be arrays of strings"};
    p.argv = entry;
    p.argv.insert(p.argv.end(), cmd.begin(), cmd.end());
    if (p.argv.empty()) return Error{"image-config.json has neither Entrypoint nor Cmd"};
    if (!ends_with(p.argv[0], ".nabla"))
        return Error{"the image's process starts with '" + p.argv[0] + "', not a .nabla unikernel (runnc refuses it too)"};
    if (p.argv[0][0] != '/') p.argv[0] = "/" + p.argv[0];  // runnc joins it to the root
    if (j.contains("WorkingDir") && j["WorkingDir"].is_string() && !j["WorkingDir"].get<std::string>().empty())
        p.cwd = j["WorkingDir"].get<std::string>();
    return p;
}

std::pair<std::string, std::string> split_nabla_image_value(const std::string& value) {
    const auto eq = value.find('=');
    if (eq != std::string::npos && value.substr(0, eq).find('/') == std::string::npos)
        return {value.substr(0, eq), value.substr(eq + 1)};
    return {"", value};
}

std::optional<std::string> nabla_image_spec(const std::vector<std::string>& values, const std::string& workload) {
    std::optional<std::string> any;
    for (const auto& v : values) {
        const auto [name, spec] = split_nabla_image_value(v);
        if (!name.empty()) {
            if (name == workload) return spec;
        } else if (!any) {
            any = spec;
        }
    }
    return any;
}

namespace {
// ROOT/image-config.json's process; nullopt when the image has no such file.
// A file that cannot be read or parsed is a UserError naming it.
std::optional<NablaProcess> read_image_config(const std::string& root) {
    const std::string cfg = root + "/image-config.json";
    if (!is_file(cfg)) return std::nullopt;
    auto text = read_file(cfg);
    if (!text) throw UserError(text.error().describe(), kImageHint);
    auto p = parse_nabla_image_config(*text);
    if (!p) throw UserError(cfg + ": " + p.error().message, kImageHint, kExitUsage);
    return *p;
}
}  // namespace

NablaImage resolve_nabla_image(const std::string& spec, bool engine) {
    NablaImage img;
    img.spec = spec;
    if (is_file(spec)) {
        if (!ends_with(spec, ".nabla"))
            throw UserError("--nabla-image " + spec + " is not a Nabla unikernel (a .nabla file)", kImageHint, kExitUsage);
        img.root = dirname_of(spec);
        if (auto p = read_image_config(img.root)) img.process = *p;
        const std::string name = "/" + spec.substr(spec.rfind('/') == std::string::npos ? 0 : spec.rfind('/') + 1);
        if (img.process.argv.empty() || img.process.argv[0] != name) img.process = NablaProcess{{name}, {}, "/"};
        return img;
    }
    if (is_dir(spec)) {
        img.root = spec;
        while (img.root.size() > 1 && img.root.back() == '/') img.root.pop_back();
        if (auto p = read_image_config(img.root)) {
            img.process = *p;
        } else {
            std::vector<std::string> found;
            for (const auto& f : list_dir(img.root))
                if (ends_with(f, ".nabla") && is_file(img.root + "/" + f)) found.push_back(f);
            if (found.empty())
                throw UserError("--nabla-image " + spec + " is not a Nabla image: no *.nabla unikernel at its root "
                                "(a generic container image cannot run under Nabla)",
                                kImageHint, kExitUsage);
            if (found.size() > 1)
                throw UserError("--nabla-image " + spec + " holds several unikernels (" + found[0] + ", " + found[1] +
                                    ") and no image-config.json saying which to run",
                                kImageHint, kExitUsage);
            img.process.argv = {"/" + found[0]};
        }
        if (!is_file(img.unikernel()))
            throw UserError("the Nabla image " + spec + " names unikernel " + img.process.argv[0] + ", which is not in it",
                            kImageHint, kExitUsage);
        return img;
    }
    if (engine && !spec.empty() && spec[0] != '/' && spec[0] != '.') {
        img.docker_ref = spec;
        return img;
    }
    throw UserError("--nabla-image " + spec + ": no such file or directory", kImageHint, kExitUsage);
}

}  // namespace hap
