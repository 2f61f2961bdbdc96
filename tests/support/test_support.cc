// Shared helpers for the test suites live in test_support.h; this file anchors the library.
namespace corridor::test {}
