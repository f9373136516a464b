// CSQLite: exposes the system <sqlite3.h> to Swift. Declarations and one-line
// forwarders only, no logic: SQLITE_TRANSIENT is a macro cast of -1 to a
// function pointer, which the Swift importer cannot see.
#ifndef CSQLITE_H
#define CSQLITE_H

#include <sqlite3.h>

/// The destructor value that tells sqlite3_bind_text to copy the bytes at once.
static inline sqlite3_destructor_type CSQLite_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif
