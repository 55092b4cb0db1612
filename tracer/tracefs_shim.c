#include "tracefs_shim.h"

#include <tracefs.h>

int hap_tracefs_set_dir(const char* dir) {
    // 1.6 takes a non-const pointer but copies the string (strdup).
    return tracefs_set_tracing_dir((char*)dir);
}

struct tracefs_instance* hap_tracefs_instance_create(const char* name, bool* is_new) {
    struct tracefs_instance* inst = tracefs_instance_create(name);
    if (inst && is_new) *is_new = tracefs_instance_is_new(inst);
    return inst;
}

struct tracefs_instance* hap_tracefs_instance_open(const char* name) {
    if (!tracefs_instance_exists(name)) return NULL;
    return tracefs_instance_alloc(NULL, name);
}

int hap_tracefs_instance_destroy(struct tracefs_instance* inst) { return tracefs_instance_destroy(inst); }
void hap_tracefs_instance_free(struct tracefs_instance* inst) { tracefs_instance_free(inst); }
char* hap_tracefs_instance_dir(struct tracefs_instance* inst) { return tracefs_instance_get_dir(inst); }

struct tep_handle* hap_tracefs_load_events(const char* tracing_dir, const char* const* systems) {
    return tracefs_local_events_system(tracing_dir, systems);
}

struct tracefs_cpu* hap_tracefs_cpu_open(struct tracefs_instance* inst, int cpu, bool nonblock) {
    return tracefs_cpu_open(inst, cpu, nonblock);
}
int hap_tracefs_cpu_read_size(struct tracefs_cpu* tcpu) { return tracefs_cpu_read_size(tcpu); }
int hap_tracefs_cpu_read(struct tracefs_cpu* tcpu, void* buffer, bool nonblock) {
    return tracefs_cpu_read(tcpu, buffer, nonblock);
}
int hap_tracefs_cpu_buffered_read(struct tracefs_cpu* tcpu, void* buffer, bool nonblock) {
    return tracefs_cpu_buffered_read(tcpu, buffer, nonblock);
}
int hap_tracefs_cpu_flush(struct tracefs_cpu* tcpu, void* buffer) { return tracefs_cpu_flush(tcpu, buffer); }
void hap_tracefs_cpu_close(struct tracefs_cpu* tcpu) { tracefs_cpu_close(tcpu); }
