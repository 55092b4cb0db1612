// A scratch directory for one fuzzer process: made on first use, removed
// when the process exits (a function-local static's destructor).
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>

class FuzzTempDir {
public:
    // `fill` lays out the directory's contents once it exists.
    explicit FuzzTempDir(const std::string& name, const std::function<void(const std::string&)>& fill = {}) {
        std::string tmpl = "/tmp/" + name + ".XXXXXX";
        if (!::mkdtemp(tmpl.data())) std::abort();
        path_ = tmpl;
        if (fill) fill(path_);
    }
    ~FuzzTempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    FuzzTempDir(const FuzzTempDir&) = delete;
    FuzzTempDir& operator=(const FuzzTempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};
