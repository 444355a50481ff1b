// The C part of the kmap_local port as a Coccinelle semantic patch, to
// time spatch beside archport on the same arch folders
// (benches/compare.sh). Not a port: no hooks, Kconfig or Makefile edits,
// no call sites; only what a semantic patch says most directly: remove
// the old kmap_atomic functions (here) and their exports
// (kmap_local_exports.cocci), swap the include, rename KM_TYPE_NR.
//
// One rule per literal function name: a set constraint
// (`identifier f = {a, b}`) makes spatch about 44 times slower. The
// export rules live in a file of their own, run as a second pass: in
// the same file they make spatch parse every file that exports anything
// (13.8 s for the ten arch folders in one pass, 2.1 s in two, same diff).

@@
type T;
@@
- T kmap_atomic_high_prot(...) { ... }

@@
type T;
@@
- T kunmap_atomic_high(...) { ... }

@@
type T;
@@
- T kmap_atomic_pfn(...) { ... }

@@
type T;
@@
- T kmap_atomic_prot_pfn(...) { ... }

@@
type T;
@@
- T iounmap_atomic(...) { ... }

@@
@@
- #include <asm/kmap_types.h>
+ #include <asm/kmap_size.h>

@@
@@
- KM_TYPE_NR
+ KM_MAX_IDX
