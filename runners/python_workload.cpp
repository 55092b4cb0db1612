#include "python_workload.h"

namespace hap {

const char* tornado_hello_source() {
    return R"PY(import tornado.ioloop
import tornado.web


class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello, world\n")


app = tornado.web.Application([(r"/", Hello)])
app.listen(8000, address="0.0.0.0")
tornado.ioloop.IOLoop.current().start()
)PY";
}

Argv PythonWorkload::command() const {
    // Debian's interpreter by absolute path (a host PATH may put another
    // python3 first); -B: no bytecode files on a read-only root.
    return {"/usr/bin/python3", "-B", "-c", tornado_hello_source()};
}

}  // namespace hap
