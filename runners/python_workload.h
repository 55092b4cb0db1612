// python: a tornado "hello" application (the published python-tornado
// workload), port 8000, loaded by wrk.
#pragma once

#include "wrk_load.h"

namespace hap {

class PythonWorkload : public HttpWorkload {
public:
    std::string name() const override { return "python"; }
    std::vector<std::string> debian_packages() const override { return {"python3", "python3-tornado"}; }
    // The application is passed with `python3 -c`: the same argv serves the
    // shared read-only image and the native runner on the host.
    Argv command() const override;
    int port() const override { return 8000; }
};

// The tornado application's source.
const char* tornado_hello_source();

}  // namespace hap
