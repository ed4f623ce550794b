#include <sqlite3.h>

/// Turns off SQLite's memory statistics (sqlite3_config is variadic, which
/// Swift cannot call). With them on, every allocation of every connection
/// takes one process-wide mutex, and two threads reading two connections
/// wait for each other. Must run before SQLite is first used.
static inline int fingerprint_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
