// node: an express "hello" application (the published node-express
// workload), port 3000, loaded by wrk.
#pragma once

#include "wrk_load.h"

namespace hap {

class NodeWorkload : public HttpWorkload {
public:
    std::string name() const override { return "node"; }
    std::vector<std::string> debian_packages() const override { return {"nodejs", "node-express"}; }
    // The application is passed with `node -e`. NODE_PATH names Debian's
    // module directories, where node-express and its dependencies live: Debian's
    // node searches them by itself, a node from elsewhere on a host does not.
    Argv command() const override;
    int port() const override { return 3000; }
};

const char* express_hello_source();

}  // namespace hap
