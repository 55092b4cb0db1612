// SIGINT/SIGTERM/SIGHUP become a flag that long loops poll, so every exit path
// runs the same teardown (tracefs restored, containers removed, run aborted).
#pragma once

namespace hap {

void install_interrupt_handlers();
bool interrupted();
int interrupt_signal();  // the signal that arrived, or 0
void clear_interrupt();  // tests only

}  // namespace hap
