// Filled in by the package's first change.
export {};
