#include "node_workload.h"

namespace hap {

const char* express_hello_source() {
    return R"JS(const express = require('express');
const app = express();
app.get('/', (req, res) => res.send('Hello, world\n'));
app.listen(3000, '0.0.0.0');
)JS";
}

Argv NodeWorkload::command() const {
    return {"/usr/bin/env", "NODE_PATH=/usr/share/nodejs", "/usr/bin/node", "-e",
            express_hello_source()};
}

}  // namespace hap
