/**
 * The code-validation rules of one run, fully resolved by `runCode` (defaults applied). Guest code
 * is checked against them before it starts; a violation ends the run with `VALIDATION_ERROR`
 * without running anything. JavaScript and TypeScript are checked by `runCode` on the host; Python
 * is checked by the adapter's runner (with Python's own `ast`), which receives these rules in
 * `SandboxExecuteRequestV1.validation`. Validation is defense in depth: the sandbox stays the
 * boundary.
 */
export interface SandboxValidationPolicyV1 {
  /** Rules for Python guest code. */
  readonly python: {
    /**
     * Modules `import` / `from … import` may name. An entry allows the module and its submodules
     * (`collections` allows `collections.abc`); `'*'` allows every module. Relative imports are
     * always refused.
     */
    readonly allowedModules: readonly string[];
    /** Names guest code may not use at all (read, write or delete), e.g. `eval`, `open`. */
    readonly forbiddenNames: readonly string[];
    /**
     * Attribute names guest code may not access (`x.f_globals`, `from asyncio import
     * create_subprocess_exec`, `getattr(x, "gi_frame")`). Independently of this list, attributes
     * that start with `__` are refused unless listed in `allowedDunderAttributes`, and attributes
     * that start with one `_` are refused unless read from `self` or `cls`.
     */
    readonly forbiddenAttributes: readonly string[];
    /** Dunder attributes that stay allowed, e.g. `__name__`, `__init__` (for `super().__init__()`). */
    readonly allowedDunderAttributes: readonly string[];
  };
  /** Rules for JavaScript and TypeScript guest code (TypeScript is checked after its types are stripped). */
  readonly javascript: {
    /**
     * Global names guest code may not refer to unless it declares them itself (a local variable
     * called `process` is fine), e.g. `require`, `eval`, `Function`.
     */
    readonly forbiddenNames: readonly string[];
    /**
     * Property names guest code may not read or write with `.name` or `['name']`, nor destructure,
     * e.g. `constructor`, `__proto__`.
     */
    readonly forbiddenProperties: readonly string[];
    /** Global objects whose properties guest code may not assign or delete, e.g. `globalThis`. */
    readonly protectedGlobals: readonly string[];
  };
}
