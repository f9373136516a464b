// Intentionally empty: every CTLSShim forwarder is a static inline function in
// include/CTLSShim.h. SwiftPM needs one source file to build a C target.
#include "CTLSShim.h"
