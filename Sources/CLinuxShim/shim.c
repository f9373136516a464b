// Intentionally empty: CLinuxShim forwarders live in include/CLinuxShim.h.
#include "CLinuxShim.h"
