// LiveObjectCount: a counter that objects of one kind raise when they are
// created and lower when they are freed, so tests (and later metrics) can see
// that finished connections really are released. One per server, touched only
// on its loop thread; it is not a general-purpose leak detector.

final class LiveObjectCount {
    var value = 0
}
