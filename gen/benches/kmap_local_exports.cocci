// The exports of the old kmap_atomic functions, removed: the second
// pass of kmap_local.cocci (see there why it is a file of its own).

@@
declarer name EXPORT_SYMBOL, EXPORT_SYMBOL_GPL;
@@
(
- EXPORT_SYMBOL(kmap_atomic_high_prot);
|
- EXPORT_SYMBOL_GPL(kmap_atomic_high_prot);
)

@@
declarer name EXPORT_SYMBOL, EXPORT_SYMBOL_GPL;
@@
(
- EXPORT_SYMBOL(kunmap_atomic_high);
|
- EXPORT_SYMBOL_GPL(kunmap_atomic_high);
)

@@
declarer name EXPORT_SYMBOL, EXPORT_SYMBOL_GPL;
@@
(
- EXPORT_SYMBOL(kmap_atomic_pfn);
|
- EXPORT_SYMBOL_GPL(kmap_atomic_pfn);
)

@@
declarer name EXPORT_SYMBOL, EXPORT_SYMBOL_GPL;
@@
(
- EXPORT_SYMBOL(kmap_atomic_prot_pfn);
|
- EXPORT_SYMBOL_GPL(kmap_atomic_prot_pfn);
)

@@
declarer name EXPORT_SYMBOL, EXPORT_SYMBOL_GPL;
@@
(
- EXPORT_SYMBOL(iounmap_atomic);
|
- EXPORT_SYMBOL_GPL(iounmap_atomic);
)
