// tracefs.h 1.6.4 does not compile as C++ (an inline function passes 0 for an
// enum; TRACEFS-NOTES.md), so every libtracefs call goes through this C file.
#pragma once

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tracefs_instance;
struct tracefs_cpu;
struct tep_handle;

// Every later call uses `dir` as the tracing directory (tracefs_dir.h finds it).
int hap_tracefs_set_dir(const char* dir);
// Creates (or, when it exists, opens) instance `name`; *is_new tells which.
struct tracefs_instance* hap_tracefs_instance_create(const char* name, bool* is_new);
struct tracefs_instance* hap_tracefs_instance_open(const char* name);  // NULL if absent
int hap_tracefs_instance_destroy(struct tracefs_instance* inst);       // rmdir
void hap_tracefs_instance_free(struct tracefs_instance* inst);
// Caller frees with free().
char* hap_tracefs_instance_dir(struct tracefs_instance* inst);

// Event formats of `systems` (NULL-terminated) below tracing_dir; also loads
// kallsyms, saved_cmdlines and printk formats of the running kernel.
struct tep_handle* hap_tracefs_load_events(const char* tracing_dir, const char* const* systems);

struct tracefs_cpu* hap_tracefs_cpu_open(struct tracefs_instance* inst, int cpu, bool nonblock);
int hap_tracefs_cpu_read_size(struct tracefs_cpu* tcpu);
int hap_tracefs_cpu_read(struct tracefs_cpu* tcpu, void* buffer, bool nonblock);
// Full sub-buffers only, spliced through a pipe (the kernel swaps a full
// page out instead of copying its records one by one): > 0 bytes of one
// page, <= 0 when no full page is waiting (errno EAGAIN) or on error.
int hap_tracefs_cpu_buffered_read(struct tracefs_cpu* tcpu, void* buffer, bool nonblock);
int hap_tracefs_cpu_flush(struct tracefs_cpu* tcpu, void* buffer);
void hap_tracefs_cpu_close(struct tracefs_cpu* tcpu);

#ifdef __cplusplus
}
#endif
